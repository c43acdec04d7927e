// A line diff as the server writes it ("@@" heads, "-", "+", " " lines),
// coloured.

export function DiffView({ diff, label }: { diff: string; label: string }) {
  if (diff === '') return <p className="muted">No change to the stored definition.</p>;
  const lines = diff.replace(/\n$/, '').split('\n');
  return (
    <pre className="hw-diff" aria-label={label} tabIndex={0}>
      {lines.map((l, i) => {
        const cls = l.startsWith('@@') ? 'hw-diff-head' : l.startsWith('+') ? 'hw-diff-add' : l.startsWith('-') ? 'hw-diff-del' : undefined;
        return (
          <span key={i} className={cls}>
            {l}
            {'\n'}
          </span>
        );
      })}
    </pre>
  );
}
