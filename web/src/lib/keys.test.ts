import { describe, expect, it } from 'vitest';
import { isTypingTarget, keyName, SequenceMatcher } from './keys';

const k = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe('keyName', () => {
  it('names plain and shifted keys', () => {
    expect(keyName(k('g'))).toBe('g');
    expect(keyName(k('S', { shiftKey: true }))).toBe('Shift+S');
    expect(keyName(k('?', { shiftKey: true }))).toBe('?');
    expect(keyName(k('/'))).toBe('/');
    expect(keyName(k('Enter'))).toBe('Enter');
    expect(keyName(k('Delete'))).toBe('Delete');
    expect(keyName(k(' '))).toBe('Space');
  });
  it('leaves browser and system combinations alone', () => {
    expect(keyName(k('t', { ctrlKey: true }))).toBeNull();
    expect(keyName(k('r', { metaKey: true }))).toBeNull();
    expect(keyName(k('ArrowLeft', { altKey: true }))).toBeNull();
    expect(keyName(k('Shift', { shiftKey: true }))).toBeNull();
  });
});

describe('SequenceMatcher', () => {
  it('matches single keys and sequences', () => {
    const m = new SequenceMatcher(['g d', 'g s', 'j', '?']);
    expect(m.feed('j', 0)).toEqual({ status: 'match', binding: 'j' });
    expect(m.feed('g', 10)).toEqual({ status: 'pending' });
    expect(m.feed('d', 20)).toEqual({ status: 'match', binding: 'g d' });
    expect(m.feed('x', 30)).toEqual({ status: 'none' });
  });
  it('forgets a sequence after the timeout', () => {
    const m = new SequenceMatcher(['g d', 'd'], 1000);
    expect(m.feed('g', 0).status).toBe('pending');
    expect(m.feed('d', 5000)).toEqual({ status: 'match', binding: 'd' });
  });
  it('recovers from a wrong second key', () => {
    const m = new SequenceMatcher(['g d', 'j']);
    expect(m.feed('g', 0).status).toBe('pending');
    expect(m.feed('j', 10)).toEqual({ status: 'match', binding: 'j' });
    expect(m.feed('g', 20).status).toBe('pending');
    expect(m.feed('g', 30).status).toBe('pending');
    expect(m.feed('d', 40)).toEqual({ status: 'match', binding: 'g d' });
  });
});

describe('isTypingTarget', () => {
  it('knows fields from other elements', () => {
    const input = document.createElement('input');
    const check = document.createElement('input');
    check.type = 'checkbox';
    const div = document.createElement('div');
    expect(isTypingTarget(input)).toBe(true);
    expect(isTypingTarget(document.createElement('textarea'))).toBe(true);
    expect(isTypingTarget(document.createElement('select'))).toBe(true);
    expect(isTypingTarget(check)).toBe(false);
    expect(isTypingTarget(div)).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
    // jsdom does not compute isContentEditable; a real browser does.
    Object.defineProperty(div, 'isContentEditable', { value: true });
    expect(isTypingTarget(div)).toBe(true);
  });
});
