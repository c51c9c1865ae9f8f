import { isEntityExtraction, isIntentRecognition, isReplyDraft } from '@chainlog/shared';
import { JsonTree } from '../../components/json-tree.js';
import { ReplyDraftCard } from './reply-draft-card.js';
import { EntityList, IntentSummary } from './triage-summary.js';

/**
 * A step's structured output, readably: the demo chain's three tasks get their own layout (checked against the
 * shared schemas' guards, not assumed); any other output, or one that does not match, shows as a JSON tree. A reply
 * draft the chain stored (its body among `storedReplyBodies`) starts folded: the page shows it whole as a record.
 */
export function StepOutput({
  name,
  output,
  storedReplyBodies,
}: {
  name: string;
  output: unknown;
  storedReplyBodies: readonly string[];
}) {
  if (name === 'intent recognition' && isIntentRecognition(output)) return <IntentSummary {...output} />;
  if (name === 'entity extraction' && isEntityExtraction(output)) return <EntityList entities={output} />;
  if (name === 'reply drafting' && isReplyDraft(output))
    return <ReplyDraftCard {...output} folded={storedReplyBodies.includes(output.body)} />;
  return <JsonTree value={output} label={`${name} output`} />;
}
