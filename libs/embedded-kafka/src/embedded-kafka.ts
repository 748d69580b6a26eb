import { ALL_BROKERS, LibrdkafkaMock } from './librdkafka-mock';
import { widenListenBacklog } from './listen-backlog';
import { TcpForwarder } from './tcp-forwarder';

export interface EmbeddedKafkaTopic {
  name: string;
  partitions: number;
}

export interface EmbeddedKafkaOptions {
  /** Brokers in the cluster (ids 1..N, plus the extra broker 0, see below). Default 1. */
  brokers?: number;
  /** Topics created at start. Default: token-events with 16 partitions. */
  topics?: EmbeddedKafkaTopic[];
  /** Fixed bootstrap port on 127.0.0.1. Default 9092; 0 picks a free port. */
  port?: number;
  /** Receives human-readable lines, including `KAFKA_BROKERS=127.0.0.1:<port>`. */
  log?: (line: string) => void;
}

export const DEFAULT_TOPICS: readonly EmbeddedKafkaTopic[] = [{ name: 'token-events', partitions: 16 }];
const HOST = '127.0.0.1';

function assertValidTopic(t: EmbeddedKafkaTopic): void {
  if (!t.name || !Number.isInteger(t.partitions) || t.partitions < 1) {
    throw new Error(`embedded kafka: invalid topic ${JSON.stringify(t)}`);
  }
}
const LEAVE_GROUP_API_KEY = 13;

/**
 * An in-process Kafka-protocol broker: librdkafka's mock cluster (in memory only), reached through a
 * TCP forwarder on a fixed bootstrap port. See README.md for what it cannot do.
 */
export class EmbeddedKafka {
  private stopping: Promise<void> | undefined;
  private readonly faultedApiKeys = new Set<number>();

  private constructor(
    private readonly mock: LibrdkafkaMock,
    private readonly forwarder: TcpForwarder,
    /** Broker ids present in Metadata: 0 (added, see start) and 1..N. */
    readonly brokerIds: readonly number[],
    /** The brokers' own listeners (random ports, as advertised in Metadata), bypassing the forwarder. */
    readonly directBootstrapServers: string,
    private readonly brokerPorts: readonly number[],
  ) {}

  /** `127.0.0.1:<port>` of the forwarder: what clients put in their broker list. */
  get bootstrapServers(): string {
    return `${HOST}:${this.forwarder.port}`;
  }

  static async start(options: EmbeddedKafkaOptions = {}): Promise<EmbeddedKafka> {
    const brokers = options.brokers ?? 1;
    const topics = options.topics ?? DEFAULT_TOPICS;
    const port = options.port ?? 9092;
    const log = options.log ?? (() => undefined);
    if (!Number.isInteger(brokers) || brokers < 1 || brokers > 9) {
      throw new Error(`embedded kafka: brokers must be an integer 1..9, got ${brokers}`);
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`embedded kafka: invalid port ${port}`);
    }
    topics.forEach(assertValidTopic);

    const startedAt = Date.now();
    const mock = LibrdkafkaMock.create({ brokers });
    try {
      // The mock reports ControllerId 0 but numbers its brokers from 1: kafkajs admin calls and
      // idempotent producers then fail with "Broker 0 not found". Making broker 0 exist fixes both.
      // It must precede topic creation, because adding a broker reassigns existing partitions.
      mock.addBroker(0);
      // LeaveGroup v3+ (what kafkajs sends) is mis-parsed by the mock, so a graceful leave behaved like
      // a crash (~19 s to rebalance). v2 is parsed correctly.
      mock.setApiVersion(LEAVE_GROUP_API_KEY, 0, 2);
      // Default 3 s wait before the first group rebalance only slows tests and dev starts.
      mock.setGroupInitialRebalanceDelayMs(0);
      const replicationFactor = Math.min(brokers, 3);
      for (const t of topics) mock.createTopic(t.name, t.partitions, replicationFactor);

      const members = await mock.brokers();
      if (members.length !== brokers + 1) {
        throw new Error(`embedded kafka: expected ${brokers + 1} brokers in metadata, got ${members.map((b) => b.id).join(',')}`);
      }
      const brokerPorts = members.map((b) => b.port);
      const widened = widenListenBacklog(brokerPorts);
      const addresses = members.map((b) => `${b.host}:${b.port}`);
      // The forwarder only carries bootstrap connections; Metadata then points clients at each broker's
      // own listener. It tries brokers 1..N, then 0, so bootstrap works while some broker is down.
      const targets = [...members.filter((b) => b.id !== 0), ...members.filter((b) => b.id === 0)].map((b) => `${b.host}:${b.port}`);
      const forwarder = await TcpForwarder.listen({ host: HOST, port, targets: () => targets });
      const kafka = new EmbeddedKafka(mock, forwarder, members.map((b) => b.id), addresses.join(','), brokerPorts);
      log(
        `embedded kafka (librdkafka mock) ready in ${Date.now() - startedAt} ms: ` +
          `brokers ${members.map((b, i) => `${b.id}@${addresses[i]}`).join(' ')}; ` +
          `topics ${topics.map((t) => `${t.name}(${t.partitions})`).join(', ') || 'none'}; in memory only`,
      );
      if (widened < members.length) {
        log(
          `embedded kafka: could not raise the brokers' listen backlog (${widened}/${members.length}); ` +
            'more than ~5 simultaneous new connections per broker may stall for 1 s',
        );
      }
      log(`KAFKA_BROKERS=${kafka.bootstrapServers}`);
      return kafka;
    } catch (err) {
      await mock.destroy();
      throw err;
    }
  }

  /**
   * Closes the broker's listener and drops its connections (all brokers when id is omitted). Data and
   * partition leadership stay: clients fail until setBrokerUp, then resume on the same port.
   */
  setBrokerDown(id?: number): void {
    this.mock.setBrokerDown(this.brokerArg(id));
  }

  /** Accepts connections again (all brokers when id is omitted). */
  setBrokerUp(id?: number): void {
    this.mock.setBrokerUp(this.brokerArg(id));
    this.widenBacklog();
  }

  /** Adds `ms` of latency to every response of the broker (all brokers when id is omitted); 0 removes it. */
  setRtt(ms: number, id?: number): void {
    if (!Number.isInteger(ms) || ms < 0) throw new Error(`embedded kafka: invalid rtt ${ms}`);
    this.mock.setBrokerRtt(this.brokerArg(id), ms);
  }

  /**
   * The next `errorCodes.length` requests of type `apiKey` (any broker) fail with these Kafka error
   * codes, in order; e.g. pushRequestErrors(0, [6, 7]) for Produce: NOT_LEADER_OR_FOLLOWER then
   * REQUEST_TIMED_OUT. A failed Produce is not appended.
   */
  pushRequestErrors(apiKey: number, errorCodes: readonly number[]): void {
    this.mock.pushRequestErrors(apiKey, errorCodes);
    this.faultedApiKeys.add(apiKey);
  }

  /**
   * Creates another topic on the running cluster (the mock has no CreateTopics API for clients).
   * For tools and benchmarks that want a fresh, empty topic; apps still only check topics.
   */
  createTopic(topic: EmbeddedKafkaTopic): void {
    assertValidTopic(topic);
    this.mock.createTopic(topic.name, topic.partitions, Math.min(this.brokerIds.length - 1, 3));
  }

  /** All brokers up, no added latency, no pending injected request errors. */
  clearFaults(): void {
    this.mock.setBrokerUp(ALL_BROKERS);
    this.widenBacklog();
    this.mock.setBrokerRtt(ALL_BROKERS, 0);
    for (const apiKey of this.faultedApiKeys) this.mock.clearRequestErrors(apiKey);
    this.faultedApiKeys.clear();
  }

  /** Closes the forwarder (and every forwarded socket) and destroys the cluster. Idempotent. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        await this.forwarder.close();
        await this.mock.destroy();
      })();
    }
    return this.stopping;
  }

  /** The mock listens again with its backlog of 5 whenever a broker comes up: widen it again. */
  private widenBacklog(): void {
    widenListenBacklog(this.brokerPorts);
  }

  private brokerArg(id: number | undefined): number {
    if (id === undefined) return ALL_BROKERS;
    if (!this.brokerIds.includes(id)) {
      throw new Error(`embedded kafka: unknown broker id ${id} (brokers: ${this.brokerIds.join(',')})`);
    }
    return id;
  }
}
