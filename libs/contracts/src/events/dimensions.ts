import { Matches } from 'class-validator';

/**
 * Where usage came from, beyond the envelope's `source`: the client surface (`channel`: web, mobile, api, …) and
 * the kind of work (`operation`: chat, title_generation, summarisation, agent_step, …). Lower-case slugs, so
 * they group cleanly and stay low-cardinality.
 */
export const CHANNEL_PATTERN = /^[a-z][a-z0-9_.-]{0,31}$/;
export const OPERATION_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;
export const IsChannel = () => Matches(CHANNEL_PATTERN, { message: 'must be a lower-case slug of at most 32 characters, e.g. web' });
export const IsOperation = () => Matches(OPERATION_PATTERN, { message: 'must be a lower-case slug of at most 64 characters, e.g. title_generation' });
