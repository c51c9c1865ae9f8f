export * from './access.js';
export * from './chain-steps.js';
export * from './schemas/chain.js';
export * from './schemas/entities.js';
export * from './schemas/intent.js';
export * from './schemas/reply.js';
export * from './schemas/support-message.js';
export * from './schemas/text.js';
