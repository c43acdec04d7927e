// A VM's state as text (never colour alone), for the e2e tests in
// data-testid="vm-state".

import { stateLabel, stateTone } from '../resources/vm/model';

export function StateBadge({ state, reason }: { state: string; reason?: string | undefined }) {
  return (
    <span className={`state state-${stateTone(state)}`} title={reason ? `${stateLabel(state)} (${reason})` : undefined}>
      <span className="state-dot" aria-hidden="true" />
      <span data-testid="vm-state">{stateLabel(state)}</span>
    </span>
  );
}
