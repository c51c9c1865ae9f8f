import type { DeployPlan } from './deploy-plan.js';

function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** The plan as lines for a person: each upload with its type and caching, then deletions and what is kept. */
export function describePlan(plan: DeployPlan, invalidation: string | undefined): string[] {
  const lines = plan.uploads.map(
    ({ file, reason }) =>
      `upload ${file.key} (${reason}; ${kilobytes(file.body.length)}; ${file.contentType}; ${file.cacheControl})`,
  );
  lines.push(...plan.deletions.map((key) => `delete ${key} (in neither this build nor the previous deploy)`));
  lines.push(...plan.kept.map(({ key, reason }) => `keep ${key} (${reason})`));
  lines.push(invalidation ?? 'no invalidation');
  const uploadedBytes = plan.uploads.reduce((sum, { file }) => sum + file.body.length, 0);
  lines.push(
    `${plan.uploads.length} to upload (${kilobytes(uploadedBytes)}), ${plan.unchanged.length} unchanged, ` +
      `${plan.deletions.length} to delete, ${plan.kept.length} kept for open tabs`,
  );
  return lines;
}
