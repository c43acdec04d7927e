// An inline error with the server's message and hint.

import { CircleAlert } from 'lucide-react';
import { ApiError } from '../api/client';
import { Button } from '../ui';

export function ErrorNote({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof ApiError ? error.hint : undefined;
  return (
    <div className="error-note" role="alert">
      <CircleAlert size={18} aria-hidden />
      <div>
        {title && <strong>{title}</strong>}
        <p>{message}</p>
        {hint && <p className="muted">{hint}</p>}
        {onRetry && (
          <Button size="sm" onClick={onRetry}>
            Try again
          </Button>
        )}
      </div>
    </div>
  );
}
