import { getMetadataStorage, ValidationArguments, ValidationTypes } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/** The options decodeTokenEvent validates with (always forbidUnknownValues; whitelisting for `data`). */
export interface CompiledValidatorOptions {
  /** whitelist + forbidNonWhitelisted: an own key without a rule is an error. */
  forbidNonWhitelisted: boolean;
}

/** A class whose decorators class-validator registered. */
type ValidatedClass = abstract new (...args: never[]) => object;

/** True: class-validator's validateSync would report no error for this object (with those options). */
export type Validity = (object: object) => boolean;

interface ConstraintCheck {
  metadata: ValidationMetadata;
  validate: (value: unknown, args: ValidationArguments) => unknown;
}

interface PropertyPlan {
  name: string;
  conditions: Array<(object: object, value: unknown) => boolean>;
  /** IsDefined first, then every other constraint, as class-validator runs them. */
  checks: ConstraintCheck[];
  nested: boolean;
}

interface ClassPlan {
  properties: PropertyPlan[];
  allowed: Set<string>;
}

/**
 * The answer of class-validator's validateSync ("no errors" or not) for the decorators of a class, without its
 * per-call machinery: the metadata is read once per class, and a valid object costs a few function calls per rule
 * instead of building error objects, grouping metadata and formatting messages. The rules are class-validator's own
 * (each decorator's validate function with the arguments class-validator passes); only the walk is ours, the same
 * walk as its ValidationExecutor for the features our contracts use: property rules, IsOptional (conditions),
 * IsDefined, nested objects (also in arrays), whitelisting. A class using anything else (each, groups, always, promises,
 * async rules) gets no compiled check: `validity` answers false and the caller runs validateSync, which gives the
 * errors anyway. So a false is "ask class-validator", never a verdict.
 */
export class CompiledValidator {
  private readonly plans = new Map<ValidatedClass, ClassPlan | null>();

  constructor(private readonly options: CompiledValidatorOptions) {}

  /** True only when validateSync(object, these options) would return no error. */
  readonly validity: Validity = (object) => this.valid(object);

  private valid(object: object): boolean {
    const plan = this.planOf(object.constructor as ValidatedClass);
    if (!plan) return false;
    if (this.options.forbidNonWhitelisted) {
      for (const key of Object.keys(object)) if (!plan.allowed.has(key)) return false;
    }
    const record = object as Record<string, unknown>;
    for (const property of plan.properties) {
      const value = record[property.name];
      let applies = true;
      for (const condition of property.conditions) if (!condition(object, value)) applies = false;
      if (!applies) continue;
      for (const { metadata, validate } of property.checks) {
        const args: ValidationArguments = {
          targetName: object.constructor ? object.constructor.name : '',
          property: metadata.propertyName,
          object,
          value,
          constraints: metadata.constraints,
        };
        const result = validate(value, args);
        if (result !== true) return false; // false, or a promise validateSync would not wait for: ask class-validator
      }
      if (property.nested && !this.nestedValid(value)) return false;
    }
    return true;
  }

  /** As class-validator's nested walk: undefined passes, arrays (sets, maps) by element, objects by their class. */
  private nestedValid(value: unknown): boolean {
    if (value === undefined) return true;
    if (Array.isArray(value) || value instanceof Set || value instanceof Map) {
      for (const item of value.values()) if (!this.nestedValid(item)) return false;
      return true;
    }
    return value instanceof Object && this.valid(value);
  }

  private planOf(cls: ValidatedClass): ClassPlan | null {
    let plan = this.plans.get(cls);
    if (plan === undefined) {
      plan = compile(cls);
      this.plans.set(cls, plan);
    }
    return plan;
  }
}

const SUPPORTED = new Set<string>([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.IS_DEFINED,
  ValidationTypes.CONDITIONAL_VALIDATION,
  ValidationTypes.NESTED_VALIDATION,
  ValidationTypes.WHITELIST,
]);

/** The class's rules as class-validator would select them (no groups, always off), or null when not compilable. */
function compile(cls: ValidatedClass): ClassPlan | null {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(cls, '', false, false);
  // forbidUnknownValues: an object of a class without rules is an error.
  if (metadatas.length === 0) return null;
  const grouped = storage.groupByPropertyName(metadatas);
  const properties: PropertyPlan[] = [];
  for (const [name, list] of Object.entries(grouped)) {
    const plan: PropertyPlan = { name, conditions: [], checks: [], nested: false };
    const defined: ConstraintCheck[] = [];
    const others: ConstraintCheck[] = [];
    for (const m of list) {
      if (!SUPPORTED.has(m.type) || m.each || m.always || (m.groups && m.groups.length > 0)) return null;
      if (m.type === ValidationTypes.WHITELIST) continue;
      if (m.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        plan.conditions.push(m.constraints[0] as (object: object, value: unknown) => boolean);
        continue;
      }
      if (m.type === ValidationTypes.NESTED_VALIDATION) {
        plan.nested = true;
        continue;
      }
      for (const constraint of storage.getTargetValidatorConstraints(m.constraintCls)) {
        // validateSync skips async rules; a compiled check may not: ask class-validator instead.
        if (constraint.async) return null;
        const instance = constraint.instance as { validate: ConstraintCheck['validate'] };
        (m.type === ValidationTypes.IS_DEFINED ? defined : others).push({ metadata: m, validate: instance.validate.bind(instance) });
      }
    }
    plan.checks = [...defined, ...others];
    properties.push(plan);
  }
  return { properties, allowed: new Set(Object.keys(grouped).filter((k) => grouped[k]!.length > 0)) };
}
