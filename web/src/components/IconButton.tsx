// Moved to the UI kit (web/src/ui); kept so that existing imports still work.
export { IconButton, Tip, type IconButtonProps } from '../ui/IconButton';
