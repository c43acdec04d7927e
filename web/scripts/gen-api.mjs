// Generates src/api/schema.gen.ts (the wire types) from ../api/openapi.yaml
// with openapi-typescript. `--check` writes nothing and fails when the
// committed file differs from what the YAML gives (npm run lint runs it),
// so the types cannot drift from the API description.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const yaml = new URL('../../api/openapi.yaml', import.meta.url);
const out = new URL('../src/api/schema.gen.ts', import.meta.url);
const header =
  '// Generated from api/openapi.yaml by `npm run gen:api` (openapi-typescript). Do not edit:\n' +
  '// change the YAML and run it again; `npm run lint` fails when this file is stale.\n\n';

const ast = await openapiTS(yaml, { alphabetize: false, exportType: false });
const text = header + astToString(ast);

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = await readFile(out, 'utf8');
  } catch {
    // Missing counts as stale.
  }
  if (committed !== text) {
    console.error(`${fileURLToPath(out)} does not match api/openapi.yaml: run \`npm run gen:api\` in web/ and commit the result.`);
    process.exit(1);
  }
  console.log('schema.gen.ts matches api/openapi.yaml');
} else {
  await writeFile(out, text);
  console.log(`wrote ${fileURLToPath(out)}`);
}
