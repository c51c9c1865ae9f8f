import { entityExtractionSchema, intentRecognitionSchema, replyDraftSchema } from '@chainlog/shared';
import { JsonTree } from '../../components/json-tree.js';
import { ReplyDraftCard } from './reply-draft-card.js';
import { EntityList, IntentSummary } from './triage-summary.js';

/**
 * A step's structured output, readably: the demo chain's three tasks get their own layout (checked against the
 * shared schemas, not assumed); any other output, or one that does not match, shows as a JSON tree.
 */
export function StepOutput({ name, output }: { name: string; output: unknown }) {
  if (name === 'intent recognition') {
    const parsed = intentRecognitionSchema.safeParse(output);
    if (parsed.success) return <IntentSummary {...parsed.data} />;
  }
  if (name === 'entity extraction') {
    const parsed = entityExtractionSchema.safeParse(output);
    if (parsed.success) return <EntityList entities={parsed.data} />;
  }
  if (name === 'reply drafting') {
    const parsed = replyDraftSchema.safeParse(output);
    if (parsed.success) return <ReplyDraftCard {...parsed.data} />;
  }
  return <JsonTree value={output} label={`${name} output`} />;
}
