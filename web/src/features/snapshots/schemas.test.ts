import { describe, expect, it } from 'vitest';
import { DESCRIPTION_MAX } from './model';
import { createSnapshotSchema, editDescriptionSchema } from './schemas';

const base = { description: '', kind: 'memory' as const, quiesce: false };

describe('createSnapshotSchema', () => {
  const schema = createSnapshotSchema(new Set(['taken']));
  const nameError = (name: string) => {
    const r = schema.safeParse({ ...base, name });
    return r.success ? null : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts a new name that follows the rule', () => {
    expect(nameError('before-upgrade')).toBeNull();
  });

  it('refuses with the server’s reasons', () => {
    expect(nameError('')).toEqual(['name: Enter a name.']);
    expect(nameError('bad name!')).toEqual(['name: The name contains a space.']);
    expect(nameError('taken')).toEqual(['name: This VM already has a snapshot named “taken”.']);
    expect(nameError('1234')?.[0]).toMatch(/^name: The name is made of digits only/);
  });

  it('refuses a description over the limit, saying what to do', () => {
    const r = schema.safeParse({ ...base, name: 'ok', description: 'x'.repeat(DESCRIPTION_MAX + 1) });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe(`The description is longer than ${DESCRIPTION_MAX} bytes: shorten it.`);
  });
});

describe('editDescriptionSchema', () => {
  it('counts bytes, not characters', () => {
    expect(editDescriptionSchema.safeParse({ description: 'é'.repeat(DESCRIPTION_MAX / 2) }).success).toBe(true);
    expect(editDescriptionSchema.safeParse({ description: 'é'.repeat(DESCRIPTION_MAX / 2 + 1) }).success).toBe(false);
  });
});
