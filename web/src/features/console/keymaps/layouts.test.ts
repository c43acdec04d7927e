import { describe, expect, it } from 'vitest';
import { planTyping, XK } from '../keys';
import { GUEST_LAYOUTS, loadLayoutTable, planTypingLayout } from './layouts';
import file from './layouts.json';

const down = (code: string, keysym = 0) => ({ keysym, code, down: true });
const up = (code: string, keysym = 0) => ({ keysym, code, down: false });

describe('planTypingLayout', () => {
  it('has a table for every layout it offers', async () => {
    expect(Object.keys(file.tables).sort()).toEqual(GUEST_LAYOUTS.map((l) => l.id).sort());
    for (const l of GUEST_LAYOUTS) expect(Object.keys(await loadLayoutTable(l.id)).length).toBeGreaterThan(90);
  });

  it('types @ on a German guest with AltGr+Q', async () => {
    const de = await loadLayoutTable('de');
    expect(planTypingLayout('@', de).events).toEqual([down('AltRight', 0xfe03), down('KeyQ', 0x40), up('KeyQ', 0x40), up('AltRight', 0xfe03)]);
  });

  it('types é on a German guest with the dead acute key, then E', async () => {
    const de = await loadLayoutTable('de');
    expect(planTypingLayout('é', de).events).toEqual([down('Equal'), up('Equal'), down('KeyE', 0xe9), up('KeyE', 0xe9)]);
  });

  it('types A on a French guest with Shift and the key where a US keyboard has Q', async () => {
    const fr = await loadLayoutTable('fr');
    expect(planTypingLayout('A\n', fr).events).toEqual([
      down('ShiftLeft', XK.Shift_L),
      down('KeyQ', 0x41),
      up('KeyQ', 0x41),
      up('ShiftLeft', XK.Shift_L),
      down('Enter', XK.Return),
      up('Enter', XK.Return),
    ]);
  });

  it('types ASCII on a US guest as planTyping does', async () => {
    const us = await loadLayoutTable('us');
    const text = 'Hello, World! ~`@#$%^&*()_+{}|:"<>?';
    expect(planTypingLayout(text, us).events.map((e) => [e.code, e.down])).toEqual(planTyping(text).events.map((e) => [e.code, e.down]));
  });

  it('lists what a layout cannot type', async () => {
    const jp = await loadLayoutTable('jp');
    const plan = planTypingLayout('aä', jp);
    expect(plan.untypable).toEqual(['ä']);
    expect(plan.chars).toBe(2);
  });
});
