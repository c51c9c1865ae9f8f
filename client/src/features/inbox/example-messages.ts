import type { SupportMessage } from '@chainlog/shared';

/** Ready-made messages, one click from the form: each exercises a different intent and the entities it carries. */
export const EXAMPLE_MESSAGES: readonly { label: string; message: SupportMessage }[] = [
  {
    label: 'Order not arrived',
    message: {
      from: 'ann.lee@example.com',
      subject: 'Order A-1042 has not arrived',
      body: 'Hi,\n\nI ordered the Trailhead Backpack on Nov 12 and order A-1042 still has not arrived. The tracking page has not changed for a week. Could you tell me where it is?\n\nThanks,\nAnn Lee',
    },
  },
  {
    label: 'Refund request',
    message: {
      from: 'omar.haddad@example.com',
      subject: 'Refund for my returned lamp',
      body: 'Hello,\n\nI sent back my Aurora Desk Lamp last week (order B-2213) but I still have not received my refund of $49.99. Please send the money back to my card.\n\nRegards,\nOmar Haddad',
    },
  },
  {
    label: 'Locked out',
    message: {
      from: 'priya.n@example.com',
      subject: 'Locked out of my account',
      body: "I can't log in since this morning: the password reset email never comes and now I'm locked out. I have a client demo today and need access urgently.\n\nPriya",
    },
  },
  {
    label: 'Praise',
    message: {
      from: 'sam.ortiz@example.com',
      subject: 'You made my week',
      body: 'Just wanted to say I love the new Pro Plan. Onboarding was great and your support team solved my issue in minutes. Keep it up!\n\nCheers,\nSam Ortiz',
    },
  },
];
