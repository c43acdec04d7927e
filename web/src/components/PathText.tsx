// A file path that a narrow column breaks after a "/", never inside a
// name: a <wbr> after each slash gives the browser those break points
// (CSS word-break would cut "disk.qcow2" anywhere). Copying the text
// copies the path unchanged: <wbr> adds no characters.

import { Fragment } from 'react';

/** Splits a path after each "/": "/var/lib/a.img" → ["/", "var/", "lib/", "a.img"]. Joined, the pieces are the path. */
export function splitPath(path: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '/') {
      parts.push(path.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < path.length) parts.push(path.slice(start));
  return parts;
}

/** Shows a path with break opportunities after its slashes. */
export function PathText({ path }: { path: string }) {
  const parts = splitPath(path);
  return (
    <>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {p}
          {i < parts.length - 1 && <wbr />}
        </Fragment>
      ))}
    </>
  );
}
