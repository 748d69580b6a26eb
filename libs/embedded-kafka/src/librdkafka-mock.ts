import koffi, { type KoffiFunc } from 'koffi';
import * as path from 'node:path';

/**
 * Thin koffi bindings to the mock-cluster part of librdkafka's C API (rdkafka_mock.h), loaded from the
 * librdkafka.so.1 that node-rdkafka builds at install time. node-rdkafka's own JS/addon is never loaded:
 * the C API exposes topic creation, broker add and fault injection, which the addon does not.
 *
 * If node-rdkafka's addon is loaded in the same process anyway, both end up with the same library:
 * the addon's RUNPATH ($ORIGIN/../deps) points at this very file and the dynamic loader de-duplicates
 * by inode, so there is one copy of librdkafka's globals.
 *
 * Every pointer is typed `void *` on purpose: named koffi types live in a process-wide registry and
 * declaring them again (jest re-evaluates modules per test file, while the native addon stays loaded)
 * would throw "duplicate type".
 */

type Pointer = unknown;

interface Bindings {
  conf_new: () => Pointer;
  conf_set: (conf: Pointer, name: string, value: string, errstr: Buffer, errstrSize: number) => number;
  conf_destroy: (conf: Pointer) => void;
  new_: (type: number, conf: Pointer, errstr: Buffer, errstrSize: number) => Pointer | null;
  destroy: KoffiFunc<(rk: Pointer) => void>;
  err2str: (err: number) => string;
  handle_mock_cluster: (rk: Pointer) => Pointer | null;
  mock_cluster_bootstraps: (mc: Pointer) => string;
  mock_broker_add: (mc: Pointer, brokerId: number) => number;
  mock_topic_create: (mc: Pointer, topic: string, partitions: number, replicationFactor: number) => number;
  mock_set_apiversion: (mc: Pointer, apiKey: number, minVersion: number, maxVersion: number) => number;
  mock_group_initial_rebalance_delay_ms: (mc: Pointer, delayMs: number) => void;
  mock_broker_set_down: (mc: Pointer, brokerId: number) => number;
  mock_broker_set_up: (mc: Pointer, brokerId: number) => number;
  mock_broker_set_rtt: (mc: Pointer, brokerId: number, rttMs: number) => number;
  mock_push_request_errors_array: (mc: Pointer, apiKey: number, count: number, errors: Int32Array) => void;
  mock_clear_request_errors: (mc: Pointer, apiKey: number) => void;
  metadata: KoffiFunc<(rk: Pointer, allTopics: number, onlyRkt: Pointer | null, out: [Pointer | null], timeoutMs: number) => number>;
  metadata_destroy: (md: Pointer) => void;
  MetadataStruct: KoffiStructType;
  MetadataBrokerStruct: KoffiStructType;
}

type KoffiStructType = ReturnType<typeof koffi.struct>;

export interface MockBroker {
  id: number;
  host: string;
  port: number;
}

const RD_KAFKA_PRODUCER = 0;
const RD_KAFKA_CONF_OK = 0;
/** rd_kafka_mock_broker_set_down/_up/_set_rtt address every broker with -1. */
export const ALL_BROKERS = -1;

let bindings: Bindings | undefined;

/**
 * Minimum spacing between two control calls that go through the mock thread's op queue.
 *
 * The mock thread serves its op queue right after poll() returns and only then drains its wake-up pipe.
 * A control call blocks until its op is served, so the next call, made at once, enqueues its op and
 * writes its wake-up byte exactly in that gap; the drain swallows the byte and the op waits for poll()'s
 * 1 s timeout. Measured: 41 of 100 back-to-back calls took 1001 ms; with a 1 ms gap, none did.
 */
const OP_SPACING_MS = 2;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Path of the librdkafka.so.1 built by node-rdkafka (resolved through its package.json, no JS loaded). */
export function librdkafkaPath(): string {
  const pkg = require.resolve('node-rdkafka/package.json');
  return path.join(path.dirname(pkg), 'build', 'deps', 'librdkafka.so.1');
}

function load(): Bindings {
  if (bindings) return bindings;
  const lib = koffi.load(librdkafkaPath());
  bindings = {
    conf_new: lib.func('void *rd_kafka_conf_new(void)'),
    conf_set: lib.func('int rd_kafka_conf_set(void *conf, const char *name, const char *value, char *errstr, size_t errstr_size)'),
    conf_destroy: lib.func('void rd_kafka_conf_destroy(void *conf)'),
    new_: lib.func('void *rd_kafka_new(int type, void *conf, char *errstr, size_t errstr_size)'),
    destroy: lib.func('void rd_kafka_destroy(void *rk)') as KoffiFunc<(rk: Pointer) => void>,
    err2str: lib.func('const char *rd_kafka_err2str(int err)'),
    handle_mock_cluster: lib.func('void *rd_kafka_handle_mock_cluster(const void *rk)'),
    mock_cluster_bootstraps: lib.func('const char *rd_kafka_mock_cluster_bootstraps(const void *mcluster)'),
    mock_broker_add: lib.func('int rd_kafka_mock_broker_add(void *mcluster, int32_t broker_id)'),
    mock_topic_create: lib.func('int rd_kafka_mock_topic_create(void *mcluster, const char *topic, int partition_cnt, int replication_factor)'),
    mock_set_apiversion: lib.func('int rd_kafka_mock_set_apiversion(void *mcluster, int16_t ApiKey, int16_t MinVersion, int16_t MaxVersion)'),
    mock_group_initial_rebalance_delay_ms: lib.func('void rd_kafka_mock_group_initial_rebalance_delay_ms(void *mcluster, int32_t delay_ms)'),
    mock_broker_set_down: lib.func('int rd_kafka_mock_broker_set_down(void *mcluster, int32_t broker_id)'),
    mock_broker_set_up: lib.func('int rd_kafka_mock_broker_set_up(void *mcluster, int32_t broker_id)'),
    mock_broker_set_rtt: lib.func('int rd_kafka_mock_broker_set_rtt(void *mcluster, int32_t broker_id, int rtt_ms)'),
    // The _array variant avoids calling a C varargs function through FFI.
    mock_push_request_errors_array: lib.func('void rd_kafka_mock_push_request_errors_array(void *mcluster, int16_t ApiKey, size_t cnt, const int *errors)'),
    mock_clear_request_errors: lib.func('void rd_kafka_mock_clear_request_errors(void *mcluster, int16_t ApiKey)'),
    metadata: lib.func(
      'int rd_kafka_metadata(void *rk, int all_topics, void *only_rkt, _Out_ void **metadatap, int timeout_ms)',
    ) as Bindings['metadata'],
    metadata_destroy: lib.func('void rd_kafka_metadata_destroy(void *metadata)'),
    // Anonymous structs (see above), laid out as struct rd_kafka_metadata / rd_kafka_metadata_broker in rdkafka.h.
    MetadataStruct: koffi.struct({
      broker_cnt: 'int',
      brokers: 'void *',
      topic_cnt: 'int',
      topics: 'void *',
      orig_broker_id: 'int32_t',
      orig_broker_name: 'const char *',
    }),
    MetadataBrokerStruct: koffi.struct({ id: 'int32_t', host: 'const char *', port: 'int' }),
  };
  return bindings;
}

function check(b: Bindings, err: number, what: string): void {
  if (err !== 0) throw new Error(`librdkafka mock: ${what} failed: ${b.err2str(err)} (${err})`);
}

export interface LibrdkafkaMockOptions {
  /** Brokers created with the cluster; librdkafka numbers them 1..N. */
  brokers: number;
}

/**
 * One librdkafka mock cluster, owned by a producer handle created with `test.mock.num.brokers`.
 * The cluster runs on librdkafka's own threads; every call here is a short synchronous hand-off to
 * that thread, except destroy, which runs off the event loop.
 */
export class LibrdkafkaMock {
  private destroyed = false;
  private lastOpAt = 0;

  private constructor(
    private readonly b: Bindings,
    private readonly rk: Pointer,
    private readonly mc: Pointer,
  ) {}

  static create(options: LibrdkafkaMockOptions): LibrdkafkaMock {
    const b = load();
    const errstr = Buffer.alloc(512);
    const conf = b.conf_new();
    const settings: Array<[string, string]> = [
      ['test.mock.num.brokers', String(options.brokers)],
      ['client.id', 'embedded-kafka-mock'],
      // librdkafka logs to stderr by default; the owning handle's own connection errors while a broker is
      // set down would flood the console. Critical messages (e.g. a mock listener failure) still show.
      ['log_level', '2'],
    ];
    for (const [name, value] of settings) {
      if (b.conf_set(conf, name, value, errstr, errstr.length) !== RD_KAFKA_CONF_OK) {
        b.conf_destroy(conf);
        throw new Error(`librdkafka mock: conf ${name}=${value}: ${cString(errstr)}`);
      }
    }
    // rd_kafka_new takes ownership of conf only on success.
    const rk = b.new_(RD_KAFKA_PRODUCER, conf, errstr, errstr.length);
    if (!rk) {
      b.conf_destroy(conf);
      throw new Error(`librdkafka mock: rd_kafka_new failed: ${cString(errstr)}`);
    }
    const mc = b.handle_mock_cluster(rk);
    if (!mc) {
      b.destroy(rk);
      throw new Error('librdkafka mock: rd_kafka_new did not create a mock cluster');
    }
    return new LibrdkafkaMock(b, rk, mc);
  }

  /** host:port of brokers 1..N as created (brokers added later are not listed). */
  bootstraps(): string[] {
    return this.b
      .mock_cluster_bootstraps(this.live())
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  /**
   * Every broker of the cluster as its Metadata reports it, including brokers added after creation
   * (bootstraps() does not list those). Asks the cluster over the owning handle's own connection, off
   * the event loop.
   */
  async brokers(timeoutMs = 5_000): Promise<MockBroker[]> {
    this.live();
    const rk = this.rk;
    const out: [Pointer | null] = [null];
    const err = await new Promise<number>((resolve, reject) => {
      this.b.metadata.async(rk, 0, null, out, timeoutMs, (e: unknown, r: number) => (e ? reject(e) : resolve(r)));
    });
    check(this.b, err, 'metadata');
    const md = out[0];
    if (!md) throw new Error('librdkafka mock: metadata returned nothing');
    try {
      const { broker_cnt, brokers } = koffi.decode(md, this.b.MetadataStruct) as { broker_cnt: number; brokers: Pointer };
      if (broker_cnt === 0) return [];
      const list = koffi.decode(brokers, this.b.MetadataBrokerStruct, broker_cnt) as MockBroker[];
      return list.map(({ id, host, port }) => ({ id, host, port })).sort((a, b) => a.id - b.id);
    } finally {
      this.b.metadata_destroy(md);
    }
  }

  addBroker(brokerId: number): void {
    this.viaOpQueue((mc) => this.b.mock_broker_add(mc, brokerId), `broker_add(${brokerId})`);
  }

  createTopic(topic: string, partitions: number, replicationFactor: number): void {
    this.viaOpQueue((mc) => this.b.mock_topic_create(mc, topic, partitions, replicationFactor), `topic_create(${topic})`);
  }

  setApiVersion(apiKey: number, minVersion: number, maxVersion: number): void {
    this.viaOpQueue((mc) => this.b.mock_set_apiversion(mc, apiKey, minVersion, maxVersion), `set_apiversion(${apiKey})`);
  }

  setGroupInitialRebalanceDelayMs(delayMs: number): void {
    this.b.mock_group_initial_rebalance_delay_ms(this.live(), delayMs);
  }

  setBrokerDown(brokerId: number): void {
    this.viaOpQueue((mc) => this.b.mock_broker_set_down(mc, brokerId), `broker_set_down(${brokerId})`);
  }

  setBrokerUp(brokerId: number): void {
    this.viaOpQueue((mc) => this.b.mock_broker_set_up(mc, brokerId), `broker_set_up(${brokerId})`);
  }

  setBrokerRtt(brokerId: number, rttMs: number): void {
    this.viaOpQueue((mc) => this.b.mock_broker_set_rtt(mc, brokerId, rttMs), `broker_set_rtt(${brokerId})`);
  }

  pushRequestErrors(apiKey: number, errorCodes: readonly number[]): void {
    if (errorCodes.length === 0) return;
    this.b.mock_push_request_errors_array(this.live(), apiKey, errorCodes.length, Int32Array.from(errorCodes));
  }

  clearRequestErrors(apiKey: number): void {
    this.b.mock_clear_request_errors(this.live(), apiKey);
  }

  /** Destroys the owning handle and with it the cluster (listeners and connections closed). Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    // rd_kafka_destroy terminates the cluster through the op queue as well.
    this.waitOpSpacing();
    this.destroyed = true;
    // rd_kafka_destroy joins librdkafka's threads; run it on the libuv pool so the event loop (and any
    // kafkajs client in this process that is talking to the mock) keeps running meanwhile.
    await new Promise<void>((resolve, reject) => {
      this.b.destroy.async(this.rk, (err: unknown) => (err ? reject(err) : resolve()));
    });
  }

  /** Runs a call that is served by the mock thread's op queue, spaced from the previous one (see OP_SPACING_MS). */
  private viaOpQueue(call: (mc: Pointer) => number, what: string): void {
    const mc = this.live();
    this.waitOpSpacing();
    try {
      check(this.b, call(mc), what);
    } finally {
      this.lastOpAt = performance.now();
    }
  }

  private waitOpSpacing(): void {
    const wait = this.lastOpAt + OP_SPACING_MS - performance.now();
    // A blocking sleep of at most 2 ms keeps the control API synchronous.
    if (wait > 0) Atomics.wait(sleeper, 0, 0, wait);
  }

  private live(): Pointer {
    if (this.destroyed) throw new Error('librdkafka mock: cluster already destroyed');
    return this.mc;
  }
}

function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end < 0 ? buf.length : end);
}
