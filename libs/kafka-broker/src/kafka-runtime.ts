import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The Apache Kafka release the embedded broker runs (keep in step with pom.xml). */
export const KAFKA_VERSION = '4.1.2';
/** Kafka 4.x brokers need Java 17 or newer. */
export const MIN_JAVA_MAJOR = 17;

/** What is missing on this machine to run the broker, with how to get it. */
export class KafkaRuntimeError extends Error {
  override readonly name = 'KafkaRuntimeError';
}

export interface KafkaRuntimeOptions {
  /** An unpacked official Kafka distribution: its `libs/` is used and Maven is not needed. */
  kafkaHome?: string;
  /** JDK or JRE home; `bin/java` under it. Default: `java` on the PATH. */
  javaHome?: string;
  /** Where the jars resolved by Maven are kept. Default `$XDG_CACHE_HOME` or `~/.cache`, then `chat-ledger/kafka-<version>`. */
  cacheDir?: string;
  log?: (line: string) => void;
}

export interface KafkaRuntime {
  java: string;
  javaMajor: number;
  /** Folder holding every jar of the broker's class path. */
  libsDir: string;
  /** `-Dlog4j2.configurationFile` value (ours, or the distribution's when KAFKA_HOME has none of ours). */
  log4jConfig: string;
  /** `maven cache` or `KAFKA_HOME`. */
  source: 'maven-cache' | 'kafka-home';
}

/** The folder of this library (pom.xml, log4j2.properties), from source (ts-jest) and from dist alike. */
export function libraryRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'libs', 'kafka-broker', 'pom.xml');
    if (existsSync(candidate)) return dirname(candidate);
    if (existsSync(join(dir, 'pom.xml')) && existsSync(join(dir, 'log4j2.properties'))) return dir;
    if (dirname(dir) === dir) throw new KafkaRuntimeError('kafka-broker: cannot find libs/kafka-broker/pom.xml above ' + __dirname);
  }
}

export function defaultCacheDir(xdgCacheHome?: string): string {
  return join(xdgCacheHome || join(homedir(), '.cache'), 'chat-ledger', `kafka-${KAFKA_VERSION}`);
}

/** `java -version` → major version, or a clear error naming what to install. */
export function detectJava(javaHome?: string): { java: string; major: number } {
  const java = javaHome ? join(javaHome, 'bin', 'java') : 'java';
  const result = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (result.error) {
    throw new KafkaRuntimeError(
      `the embedded Apache Kafka needs Java ${MIN_JAVA_MAJOR}+, but ${javaHome ? java : '`java`'} cannot be run (${(result.error as NodeJS.ErrnoException).code ?? result.error.message}): ` +
        `install OpenJDK ${MIN_JAVA_MAJOR} (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless), set JAVA_HOME, or set KAFKA_BROKERS to use your own Kafka`,
    );
  }
  const text = `${result.stderr ?? ''}${result.stdout ?? ''}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) throw new KafkaRuntimeError(`cannot read the Java version from \`${java} -version\`: ${text.trim().slice(0, 200)}`);
  // "1.8.0_…" is Java 8; "17.0.15" is Java 17.
  const major = match[1] === '1' ? Number(match[2]) : Number(match[1]);
  if (major < MIN_JAVA_MAJOR) {
    throw new KafkaRuntimeError(
      `the embedded Apache Kafka ${KAFKA_VERSION} needs Java ${MIN_JAVA_MAJOR}+, found Java ${major} (${java}): ` +
        `install OpenJDK ${MIN_JAVA_MAJOR}, point JAVA_HOME at it, or set KAFKA_BROKERS to use your own Kafka`,
    );
  }
  return { java, major };
}

function hasJars(dir: string, marker: RegExp): boolean {
  return existsSync(dir) && readdirSync(dir).some((f) => marker.test(f));
}

/**
 * Finds Java and the broker's jars: `kafkaHome/libs` when given, else the Maven cache, filling it on first
 * use with `mvn -q dependency:copy-dependencies` (a few tens of MB from Maven Central, once per machine).
 * The jars land in a temporary folder renamed into place, so concurrent first starts never see half a cache.
 */
export async function resolveKafkaRuntime(options: KafkaRuntimeOptions = {}): Promise<KafkaRuntime> {
  const log = options.log ?? (() => undefined);
  const { java, major } = detectJava(options.javaHome);
  const root = libraryRoot();
  const ourLog4j = join(root, 'log4j2.properties');

  if (options.kafkaHome) {
    const libsDir = resolve(options.kafkaHome, 'libs');
    if (!hasJars(libsDir, /^kafka_2\.13-.*\.jar$/)) {
      throw new KafkaRuntimeError(`KAFKA_HOME=${options.kafkaHome} is not an unpacked Apache Kafka distribution (no libs/kafka_2.13-*.jar)`);
    }
    return { java, javaMajor: major, libsDir, log4jConfig: ourLog4j, source: 'kafka-home' };
  }

  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir());
  const libsDir = join(cacheDir, 'libs');
  if (hasJars(libsDir, new RegExp(`^kafka_2\\.13-${KAFKA_VERSION.replace(/\./g, '\\.')}\\.jar$`))) {
    return { java, javaMajor: major, libsDir, log4jConfig: ourLog4j, source: 'maven-cache' };
  }

  const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvn.error) {
    throw new KafkaRuntimeError(
      `the embedded Apache Kafka ${KAFKA_VERSION} is fetched once from Maven Central with Apache Maven, but \`mvn\` cannot be run: ` +
        'install Maven (Debian/Ubuntu: apt-get install -y maven), or set KAFKA_HOME to an unpacked Kafka 4.x distribution, or set KAFKA_BROKERS to use your own Kafka',
    );
  }
  mkdirSync(cacheDir, { recursive: true });
  const staging = join(cacheDir, `libs.partial-${process.pid}-${Date.now()}`);
  const started = Date.now();
  log(`fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${libsDir} (once per machine)…`);
  const output: string[] = [];
  const code = await new Promise<number>((done) => {
    const child = spawn(
      'mvn',
      ['-q', '-B', '-f', join(root, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => output.push(chunk.toString('utf8'));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', () => done(-1));
    child.on('close', (c) => done(c ?? -1));
  });
  if (code !== 0 || !hasJars(staging, /^kafka_2\.13-.*\.jar$/)) {
    rmSync(staging, { recursive: true, force: true });
    throw new KafkaRuntimeError(
      `mvn could not fetch Apache Kafka ${KAFKA_VERSION} (exit ${code}); is Maven Central reachable? ` +
        `Or set KAFKA_HOME to an unpacked Kafka distribution. mvn said: ${output.join('').trim().slice(-1500)}`,
    );
  }
  try {
    renameSync(staging, libsDir);
  } catch {
    // Another process filled the cache first: use its copy.
    rmSync(staging, { recursive: true, force: true });
  }
  log(`Apache Kafka ${KAFKA_VERSION} jars ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { java, javaMajor: major, libsDir, log4jConfig: ourLog4j, source: 'maven-cache' };
}
