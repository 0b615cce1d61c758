/**
 * Where the relay hands events: Kafka through kafkajs in production. kafkajs is pure
 * JavaScript (Confluent's client shares its API but downloads native binaries at
 * install, which cannot work here); it has been unmaintained since 2023 but is stable
 * and speaks the protocol of every current broker.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Logger } from 'pino';

export interface OutgoingMessage {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly eventId: string;
  readonly eventType: string;
}

export interface EventSender {
  /** Sends the messages in order; resolves once the broker acknowledged all of them. */
  send(messages: readonly OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * A send error the broker will answer the same way however often it is retried: a
 * protocol error it marks non-retriable (message too large, invalid record…).
 * Everything else — refused connections, exhausted client retries, timeouts — is the
 * broker being away, and waits.
 */
export function isPermanentSendError(error: unknown): boolean {
  for (let e = error as { name?: string; retriable?: boolean; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.name === 'KafkaJSProtocolError' && e.retriable === false) return true;
  }
  return false;
}

export interface KafkaSenderOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Fail fast when the broker is down: the relay has its own backoff. */
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

export function kafkaSender(options: KafkaSenderOptions, logger: Logger): EventSender {
  const kafka = new Kafka({
    clientId: options.clientId ?? 'batch-service',
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    retry: { retries: 1, initialRetryTime: 200 },
    logLevel: logLevel.NOTHING,
  });
  // Idempotent with one request in flight: the broker drops a resent batch and keeps
  // the order of a key's messages even across retries.
  let producer: Producer | undefined;
  let connected = false;
  const ready = async (): Promise<Producer> => {
    producer ??= kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    if (!connected) {
      await producer.connect();
      connected = true;
      logger.info({ brokers: options.brokers }, 'connected to Kafka');
    }
    return producer;
  };
  return {
    async send(messages) {
      const p = await ready();
      try {
        for (const group of groupByTopicInOrder(messages)) {
          await p.send({
            topic: group.topic,
            acks: -1,
            messages: group.messages.map((m) => ({
              key: m.key,
              value: m.value,
              headers: { eventId: m.eventId, eventType: m.eventType },
            })),
          });
        }
      } catch (error) {
        connected = false;
        await p.disconnect().catch(() => undefined);
        throw error;
      }
    },
    async close() {
      if (producer && connected) await producer.disconnect();
      connected = false;
    },
  };
}

/** Consecutive runs of the same topic, so the overall order is kept. */
function groupByTopicInOrder(messages: readonly OutgoingMessage[]) {
  const groups: { topic: string; messages: OutgoingMessage[] }[] = [];
  for (const message of messages) {
    const last = groups[groups.length - 1];
    if (last && last.topic === message.topic) last.messages.push(message);
    else groups.push({ topic: message.topic, messages: [message] });
  }
  return groups;
}
