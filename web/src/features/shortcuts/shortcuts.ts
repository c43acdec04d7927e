// The keyboard shortcuts, as documented in the overlay (?). Single keys and
// Shift+key only: Ctrl/Cmd/Alt combinations belong to the browser (Ctrl+T,
// Ctrl+R, Ctrl+W, Ctrl+L, Ctrl+F… cannot be taken over by a page).

export interface ShortcutDoc {
  keys: string;
  description: string;
}

export interface ShortcutGroup {
  title: string;
  items: ShortcutDoc[];
}

export const SHORTCUT_GROUPS: ShortcutGroup[] = [
  {
    title: 'Everywhere',
    items: [
      { keys: '?', description: 'Show this list of shortcuts' },
      { keys: 'g d', description: 'Go to the dashboard' },
      { keys: 'g s', description: 'Go to settings' },
      { keys: 'g o', description: 'Show operations (status bar)' },
      { keys: 'g a', description: 'Go to the audit log (admins)' },
      { keys: 'Escape', description: 'Close a dialog or menu; leave the search box' },
      { keys: 'Tab / Shift+Tab', description: 'Move between controls' },
    ],
  },
  {
    title: 'Dashboard',
    items: [
      { keys: '/', description: 'Search VMs' },
      { keys: 'v', description: 'Switch between cards and table' },
      { keys: 'j / k', description: 'Next / previous VM' },
      { keys: 'Enter', description: 'Open the selected VM' },
    ],
  },
  {
    title: 'The selected VM (dashboard) or the open VM (details)',
    items: [
      { keys: 's', description: 'Start' },
      { keys: 'Shift+S', description: 'Shut down' },
      { keys: 'Shift+R', description: 'Reboot' },
      { keys: 'p', description: 'Pause or resume' },
      { keys: 'Shift+F', description: 'Force off (asks first)' },
      { keys: 'c', description: 'Open console' },
      { keys: 't', description: 'Take snapshot' },
    ],
  },
  {
    title: 'VM details',
    items: [
      { keys: '1 2 3 4', description: 'Overview, Console, Serial, Snapshots tab' },
      { keys: 'Shift+X', description: 'Reset (asks first)' },
      { keys: 'Delete', description: 'Delete the VM (asks first)' },
      { keys: 'Backspace', description: 'Back to the dashboard' },
    ],
  },
  {
    title: 'Snapshots tab',
    items: [
      { keys: 'n', description: 'New snapshot (t works too)' },
      { keys: 'r', description: 'Revert to the selected snapshot (asks first)' },
      { keys: 'Shift+D', description: 'Delete the selected snapshot (asks first)' },
      { keys: 'e', description: 'Edit the selected snapshot’s description' },
      { keys: '↑ ↓ ← →', description: 'In the tree: move, collapse, expand' },
      { keys: 'Home End', description: 'In the tree: first, last node' },
      { keys: '*', description: 'In the tree: expand all siblings' },
      { keys: 'Delete', description: 'In the tree: delete the focused snapshot (asks first)' },
      { keys: 'Enter', description: 'In the tree: go to the details' },
      { keys: 'Shift+F10', description: 'In the tree: the node’s menu (or the Menu key)' },
    ],
  },
  {
    title: 'Serial console (while the terminal has focus, other keys go to the VM)',
    items: [
      { keys: 'Ctrl+Shift+F', description: 'Find in scrollback' },
      { keys: 'Ctrl+Shift+C', description: 'Copy the selection' },
      { keys: 'Ctrl+Shift+V', description: 'Paste' },
      { keys: 'Ctrl+]', description: 'Leave the terminal (to its toolbar)' },
    ],
  },
  {
    title: 'Graphical console (click the screen: then every key goes to the VM)',
    items: [
      { keys: 'F11', description: 'Full screen on and off (can be given to the VM in Settings)' },
      { keys: 'Esc', description: 'In full screen: a short press goes to the VM; hold it to leave full screen (Chrome, Edge)' },
      { keys: 'F1 / ?', description: 'Console help, when the screen does not have focus' },
    ],
  },
];

/** Browser-reserved combinations we deliberately leave alone, listed in the overlay. */
export const RESERVED = ['Ctrl+T', 'Ctrl+W', 'Ctrl+R', 'Ctrl+L', 'Ctrl+N', 'Ctrl+Tab', 'Ctrl+F', 'F5', 'Alt+←/→'];

/** VM action shortcuts: the key, and the buttons (by accessible name) it presses. */
export const VM_ACTION_KEYS: Record<string, readonly string[]> = {
  s: ['Start'],
  'Shift+S': ['Shut down'],
  'Shift+R': ['Reboot'],
  p: ['Pause', 'Resume'],
  'Shift+F': ['Force off'],
  'Shift+X': ['Reset'],
  c: ['Open console'],
  t: ['Take snapshot'],
  Delete: ['Delete'],
};
