import { FILTER_TEXT_MAX_LENGTH } from '@chainlog/shared';
import { useCallback } from 'react';
import { useNavigate, useSearchParams } from 'react-router';

/** The query of the hash address (`#/logs?status=error` → `status=error`) as it is now, not as last rendered. */
function currentAddressParams(): URLSearchParams {
  const hash = window.location.hash;
  const start = hash.indexOf('?');
  return new URLSearchParams(start === -1 ? '' : hash.slice(start + 1));
}

/**
 * A page's filters in the address, and a change to them that composes with the one before it. react-router's own
 * functional setter starts from the params of the render it came from, and a navigation renders in a transition: two
 * changes made before that render (two debounced fields firing together) would both start from the old params, and the
 * later would undo the earlier. The hash router writes the address at once, so each change starts from there.
 */
export function useAddressParams() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const change = useCallback(
    (edit: (next: URLSearchParams) => void) => {
      const next = currentAddressParams();
      edit(next);
      void navigate({ search: `?${next}` }, { replace: true });
    },
    [navigate],
  );
  const clear = useCallback(() => void navigate({ search: '' }, { replace: true }), [navigate]);
  return { params, change, clear };
}

/** A text filter from the address, or null for one the server would refuse (empty, too long, or holding NUL). */
export function textParamOrNull(value: string | null): string | null {
  return value !== null && value !== '' && value.length <= FILTER_TEXT_MAX_LENGTH && !value.includes('\u0000')
    ? value
    : null;
}
