import { type FakeProvider, type FakeReply, startFakeProvider } from '../server/test/fake-provider.js';
import { triageReply } from '../server/test/triage-replies.js';

/**
 * A fake provider that answers every request with its triage answer only once `release` is called: a bench subscribes
 * all its clients to a chain that has not started its first call yet, then lets it run.
 */
export async function startHeldTriageProvider(): Promise<{ fake: FakeProvider; release(): void }> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const fake = await startFakeProvider({
    respond: async (request): Promise<FakeReply> => {
      await released;
      return triageReply(request);
    },
  });
  return { fake, release: () => release() };
}
