// Who wants to hear that a watched VM's console thumbnail is a new picture
// (the dashboard's cards fetch a thumbnail only then, instead of polling).
// The event table calls notifyThumbnail for each valid "thumbnail" event.

/** A "thumbnail" event: a watched VM's console thumbnail is a new picture. */
export interface ThumbnailEvent {
  host: string;
  uuid: string;
  etag: string;
}

const thumbnailListeners = new Set<(t: ThumbnailEvent) => void>();

/** Calls fn with every thumbnail event. Returns the unsubscribe function. */
export function onThumbnail(fn: (t: ThumbnailEvent) => void): () => void {
  thumbnailListeners.add(fn);
  return () => thumbnailListeners.delete(fn);
}

export function notifyThumbnail(t: ThumbnailEvent): void {
  for (const l of [...thumbnailListeners]) l(t);
}
