// The JSON-LD contexts the registry signs with, read from the repository
// (registry/signing/contexts), by URL: the JS tests' verifiers load nothing else from a network.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const folder = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "registry", "signing",
  "contexts");
export const read = (path) => JSON.parse(readFileSync(path, "utf8"));
export const contexts = () => new Map([
  ["https://www.w3.org/ns/credentials/v2", read(join(folder, "credentials-v2.jsonld"))],
  ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    read(join(folder, "ob-v3p0-context-3.0.3.jsonld"))],
  ["https://www.w3.org/ns/did/v1", read(join(folder, "did-v1.jsonld"))],
  ["https://w3id.org/security/multikey/v1", read(join(folder, "multikey-v1.jsonld"))],
  ["https://w3id.org/security/suites/ed25519-2020/v1",
    read(join(folder, "ed25519-signature-2020-v1.jsonld"))],
]);
