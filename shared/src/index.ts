export * from './schemas/intent.js';
export * from './schemas/support-message.js';
