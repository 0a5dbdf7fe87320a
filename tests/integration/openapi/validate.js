// SPDX-License-Identifier: Apache-2.0
// Validates an OpenAPI document with @apidevtools/swagger-parser (OpenAPI 3.1 schema + semantic
// checks, every $ref resolved). Usage: node validate.js <file>. Prints "valid: <title> <version>,
// N paths" or the validator's error, and exits 1 on an invalid document.
'use strict';
const SwaggerParser = require('@apidevtools/swagger-parser');

async function main() {
  const file = process.argv[2];
  const api = await SwaggerParser.validate(file);
  const paths = Object.keys(api.paths || {});
  console.log(`valid: ${api.info.title} ${api.info.version}, openapi ${api.openapi}, ${paths.length} paths: ${paths.join(' ')}`);
}

main().catch((e) => {
  console.error(`invalid: ${e.message}`);
  process.exit(1);
});
