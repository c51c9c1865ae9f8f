import { z } from 'zod';
import { postgresText } from './text.js';

/** The longest each field of a message may be, in characters (after trimming): the web form holds to them too. */
export const SUPPORT_MESSAGE_MAX_LENGTH = { from: 320, subject: 300, body: 20_000 } as const;

const senderSchema = postgresText(z.string().trim().min(1).max(SUPPORT_MESSAGE_MAX_LENGTH.from));

/**
 * A message arriving in the support inbox, as the tasks and the triage chain take it (and as it is stored): its
 * sender is any text, so chains and calls made before senders were checked still run.
 */
export const supportMessageSchema = z.object({
  from: senderSchema,
  subject: postgresText(z.string().trim().max(SUPPORT_MESSAGE_MAX_LENGTH.subject)).default(''),
  body: postgresText(z.string().trim().min(1).max(SUPPORT_MESSAGE_MAX_LENGTH.body)),
});
export type SupportMessage = z.infer<typeof supportMessageSchema>;

/** A new message submitted to the inbox (inbox.submit): the reply is drafted to its sender, so that is an address. */
export const submittedMessageSchema = supportMessageSchema.extend({
  from: senderSchema.check((context) => {
    // In any script; checked only once the rest holds, so a blank or unstorable sender has one issue, not two.
    if (context.issues.length > 0 || z.regexes.unicodeEmail.test(context.value)) return;
    context.issues.push({
      code: 'custom',
      message: 'Enter an email address, like ann@example.com',
      input: context.value,
    });
  }),
});
