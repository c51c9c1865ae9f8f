import { describe, expect, it } from 'vitest';
import { submittedMessageSchema, supportMessageSchema } from './support-message.js';

describe('support message schemas', () => {
  const message = { from: 'ada', subject: 'Order', body: 'Where is my order?' };

  it('asks a submitted message for a sender address, in any script, with one issue for a bad one', () => {
    const refused = submittedMessageSchema.safeParse(message);
    expect(refused.error?.issues.map(({ path, message }) => ({ path, message }))).toEqual([
      { path: ['from'], message: 'Enter an email address, like ann@example.com' },
    ]);
    expect(submittedMessageSchema.parse({ ...message, from: ' jörg.müller@beispiel.de ' }).from).toBe(
      'jörg.müller@beispiel.de',
    );
    expect(submittedMessageSchema.safeParse({ ...message, from: '  ' }).error?.issues).toHaveLength(1);
  });

  it('keeps taking any sender as the tasks and chains input, so messages stored before the check still run', () => {
    expect(supportMessageSchema.parse(message).from).toBe('ada');
  });
});
