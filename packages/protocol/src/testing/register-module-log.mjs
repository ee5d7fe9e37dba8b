// `node --import <this file>`: logs every module loaded after it (module-log-hooks.mjs).
import { register } from "node:module";

register(new URL("./module-log-hooks.mjs", import.meta.url));
