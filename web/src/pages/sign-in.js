// @ts-check
import { button, h, inset, show } from "../dom.js";
import { signIn } from "../oidc.js";

/**
 * The sign-in page, with why the person is here (signed out, session ended, refused).
 * @param {string | null} [message]
 */
export function signInPage(message) {
  show("Sign in",
    message ? inset(message) : null,
    h("p", { class: "nhsuk-body" }, "Sign in with your organisation's account to look up a child or work your alerts."),
    button("Sign in", () => signIn({ silent: false })));
}
