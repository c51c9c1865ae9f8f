import { useLocation, useNavigate } from 'react-router';

export type PageCursors = readonly (string | null)[];

/**
 * The cursor of every page of a keyset list visited so far (the last one is shown, "Previous" drops it), kept in
 * the history entry under `stateKey`: a page is found again after Back from a row, a reload, and Back/Forward between
 * pages. New filters start afresh (the list is keyed by them).
 */
export function usePageCursors(stateKey: string): [PageCursors, (cursors: PageCursors) => void] {
  const location = useLocation();
  const navigate = useNavigate();
  const setCursors = (cursors: PageCursors) => {
    void navigate({ pathname: location.pathname, search: location.search }, { state: { [stateKey]: cursors } });
  };
  return [pageCursorsOf(location.state, stateKey), setCursors];
}

function pageCursorsOf(state: unknown, stateKey: string): PageCursors {
  const cursors: unknown =
    typeof state === 'object' && state !== null && stateKey in state ? Reflect.get(state, stateKey) : undefined;
  if (!Array.isArray(cursors) || cursors.length === 0) return [null];
  const typed = cursors.filter((cursor): cursor is string | null => cursor === null || typeof cursor === 'string');
  return typed.length === cursors.length ? typed : [null];
}
