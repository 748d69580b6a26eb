import { IsOptional, IsString, Length, Matches } from 'class-validator';

/**
 * Who a usage event belongs to beyond its user: the organisation (`org_id`), a project inside it (`project_id`)
 * and the API key the caller used (`api_key_id`). Each is optional: events without one belong to no tenant
 * (every event written before contracts carried them reads that way). Same form as user ids (printable ASCII
 * without spaces, 1..64): they travel in URLs, rollup keys and logs.
 */
export const TENANT_ID = /^[\x21-\x7e]{1,64}$/;
export const TENANT_ID_PROBLEM = 'must be 1 to 64 printable ASCII characters without spaces';
export const TENANT_FIELDS = ['org_id', 'project_id', 'api_key_id'] as const;

export interface TenantFields {
  org_id: string | null;
  project_id: string | null;
  api_key_id: string | null;
}

/** No tenant: what older versions normalise to. */
export const NO_TENANT: Readonly<TenantFields> = Object.freeze({ org_id: null, project_id: null, api_key_id: null });

/** The schema of one tenant field in a contract's DTO: optional, null allowed, else the TENANT_ID form (also in the published JSON Schema). */
export const IsTenantId = () => (target: object, key: string) => {
  IsOptional()(target, key);
  IsString()(target, key);
  Length(1, 64)(target, key);
  Matches(TENANT_ID, { message: TENANT_ID_PROBLEM })(target, key);
};

/** The canonical form: explicit nulls. Ids are kept as sent (they are opaque, case matters). */
export function normaliseTenant(data: Partial<TenantFields>): TenantFields {
  return { org_id: data.org_id ?? null, project_id: data.project_id ?? null, api_key_id: data.api_key_id ?? null };
}
