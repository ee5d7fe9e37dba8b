/** `@dslab/checker/testing`: what the tests of HTML outputs share, in every package. */
export * from "./browser.js";
