import { z } from 'zod';
import { postgresText } from './text.js';

/** The longest each field of a message may be, in characters (after trimming): the web form holds to them too. */
export const SUPPORT_MESSAGE_MAX_LENGTH = { from: 320, subject: 300, body: 20_000 } as const;

/** A message arriving in the support inbox. */
export const supportMessageSchema = z.object({
  // The reply is drafted to it: an address, in any script.
  from: postgresText(z.string().trim().min(1).max(SUPPORT_MESSAGE_MAX_LENGTH.from)).check((context) => {
    // Only once the rest holds, so a blank or unstorable sender gets one issue, not two.
    if (context.issues.length > 0 || z.regexes.unicodeEmail.test(context.value)) return;
    context.issues.push({
      code: 'custom',
      message: 'Enter an email address, like ann@example.com',
      input: context.value,
    });
  }),
  subject: postgresText(z.string().trim().max(SUPPORT_MESSAGE_MAX_LENGTH.subject)).default(''),
  body: postgresText(z.string().trim().min(1).max(SUPPORT_MESSAGE_MAX_LENGTH.body)),
});
export type SupportMessage = z.infer<typeof supportMessageSchema>;
