/**
 * The root an app's environment schema starts from. Shared keys come as mixins (`WithJwtEnv` here,
 * `WithKafkaConnectionEnv` / `WithKafkaTopicEnv` in libs/kafka, `WithOutboxRelayEnv` in libs/outbox), so a schema
 * composes the pieces it needs on top of this instead of extending another app's schema:
 * `class LedgerConfig extends WithKafkaTopicEnv(WithKafkaConnectionEnv(WithJwtEnv(BaseEnv), { clientId: 'ledger-consumer' }))`.
 */
export class BaseEnv {}
