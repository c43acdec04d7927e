// What a component adds to a resource's mutation: what to say when it
// ended. The resource's own onSuccess (writing the answer into the cache)
// runs first.

export interface MutationCallbacks<T, V> {
  onSuccess?: (result: T, vars: V) => void;
  onError?: (err: Error, vars: V) => void;
}
