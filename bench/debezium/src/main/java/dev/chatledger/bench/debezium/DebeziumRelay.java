package dev.chatledger.bench.debezium;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.BufferedReader;
import java.io.FileReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Debezium as an outbox relay, driven by the bench over stdin/stdout (one JVM for the whole scenario, so every
 * measurement after the first runs on a warm JIT, as our relay does in the bench's Node process).
 *
 * <p>Commands, one per line on stdin: {@code start <properties file>} builds and runs a Debezium embedded engine
 * (the async engine that {@code DebeziumEngine.create(ChangeEventFormat.of(Connect.class))} returns in 3.x) with the
 * file's settings; keys starting {@code producer.} configure the KafkaProducer instead, and {@code bench.topic} is the
 * topic the Outbox Event Router routes to. {@code stop} closes the engine (which commits the offsets of what was marked
 * processed) and the producer. {@code exit} stops and ends the process. Events go to stdout as one JSON object a line:
 * {@code ready}, {@code task_started}, {@code polling_started}, {@code stopped} (with counts), {@code failed}.
 *
 * <p>The change consumer does what Debezium Server's Kafka sink does: send every record of the batch the engine hands
 * over, wait until the broker acknowledged all of them, then mark them processed and the batch finished (so an offset
 * is only ever committed for records already on Kafka). Records not routed to the outbox topic (heartbeats, which go to
 * Debezium's own heartbeat topic) and tombstones are marked processed without a send.
 */
public final class DebeziumRelay {
  private static final Object OUT = new Object();

  private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
  private ExecutorService executor;
  private KafkaProducer<byte[], byte[]> producer;
  private CountDownLatch finished;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();

  public static void main(String[] args) throws Exception {
    DebeziumRelay relay = new DebeziumRelay();
    emit("ready", "\"java\":" + quote(System.getProperty("java.version")));
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      line = line.trim();
      try {
        if (line.startsWith("start ")) relay.start(line.substring("start ".length()).trim());
        else if (line.equals("stop")) relay.stop();
        else if (line.equals("exit")) break;
        else if (!line.isEmpty()) emit("error", "\"message\":" + quote("unknown command: " + line));
      } catch (Exception e) {
        emit("error", "\"message\":" + quote(e.toString()));
      }
    }
    relay.stop();
    System.exit(0);
  }

  private void start(String propertiesFile) throws IOException {
    if (engine != null) throw new IllegalStateException("an engine is already running");
    Properties all = new Properties();
    try (FileReader reader = new FileReader(propertiesFile, StandardCharsets.UTF_8)) {
      all.load(reader);
    }
    Properties engineProps = new Properties();
    Properties producerProps = new Properties();
    for (String key : all.stringPropertyNames()) {
      if (key.startsWith("producer.")) producerProps.setProperty(key.substring("producer.".length()), all.getProperty(key));
      else if (!key.startsWith("bench.")) engineProps.setProperty(key, all.getProperty(key));
    }
    String topic = all.getProperty("bench.topic");
    if (topic == null) throw new IllegalArgumentException("bench.topic is not set");
    producerProps.put("key.serializer", ByteArraySerializer.class.getName());
    producerProps.put("value.serializer", ByteArraySerializer.class.getName());
    producer = new KafkaProducer<>(producerProps);
    sent.set(0);
    skipped.set(0);
    batches.set(0);
    finished = new CountDownLatch(1);
    KafkaProducer<byte[], byte[]> p = producer;
    engine =
        DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(engineProps)
            .notifying(
                (List<RecordChangeEvent<SourceRecord>> records, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) ->
                    handleBatch(p, topic, records, committer))
            .using(
                new DebeziumEngine.ConnectorCallback() {
                  @Override
                  public void taskStarted() {
                    emit("task_started", null);
                  }

                  @Override
                  public void pollingStarted() {
                    emit("polling_started", null);
                  }
                })
            .using(
                (boolean success, String message, Throwable error) -> {
                  if (!success) emit("failed", "\"message\":" + quote(message + (error != null ? ": " + rootCause(error) : "")));
                  finished.countDown();
                })
            .build();
    executor = Executors.newSingleThreadExecutor();
    executor.execute(engine);
  }

  private void handleBatch(
      KafkaProducer<byte[], byte[]> p,
      String topic,
      List<RecordChangeEvent<SourceRecord>> records,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
      throws InterruptedException {
    List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
    for (RecordChangeEvent<SourceRecord> event : records) {
      SourceRecord r = event.record();
      if (!topic.equals(r.topic()) || r.value() == null) {
        skipped.incrementAndGet();
        continue;
      }
      RecordHeaders headers = new RecordHeaders();
      for (Header h : r.headers()) if (h.value() != null) headers.add(h.key(), h.value().toString().getBytes(StandardCharsets.UTF_8));
      // What our relay adds when a row's headers have none (kafkaHeaders in libs/outbox).
      if (headers.lastHeader("content-type") == null) headers.add("content-type", "application/json".getBytes(StandardCharsets.UTF_8));
      acks.add(p.send(new ProducerRecord<>(topic, null, null, bytes(r.key()), bytes(r.value()), headers)));
    }
    for (Future<RecordMetadata> ack : acks) {
      try {
        ack.get();
      } catch (ExecutionException e) {
        // The engine stops with this error: nothing of the batch is marked processed, so nothing is committed.
        throw new IllegalStateException("Kafka send failed: " + e.getCause(), e.getCause());
      }
    }
    for (RecordChangeEvent<SourceRecord> event : records) committer.markProcessed(event);
    committer.markBatchFinished();
    sent.addAndGet(acks.size());
    batches.incrementAndGet();
  }

  private static byte[] bytes(Object v) {
    if (v == null) return null;
    if (v instanceof byte[] b) return b;
    return v.toString().getBytes(StandardCharsets.UTF_8);
  }

  private void stop() throws IOException, InterruptedException {
    if (engine == null) return;
    engine.close();
    finished.await(60, TimeUnit.SECONDS);
    executor.shutdown();
    executor.awaitTermination(30, TimeUnit.SECONDS);
    producer.close();
    engine = null;
    producer = null;
    emit("stopped", "\"sent\":" + sent.get() + ",\"skipped\":" + skipped.get() + ",\"batches\":" + batches.get());
  }

  private static String rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    return c == t ? t.toString() : t + " (cause: " + c + ")";
  }

  private static void emit(String event, String fields) {
    String line = "{\"event\":" + quote(event) + (fields != null ? "," + fields : "") + ",\"at\":" + System.currentTimeMillis() + "}";
    synchronized (OUT) {
      System.out.println(line);
      System.out.flush();
    }
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
