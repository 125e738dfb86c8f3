// @ts-check
import { button, h, inset, show } from "../dom.js";
import { signIn } from "../oidc.js";
import { config } from "../session.js";

/**
 * The sign-in page, with why the person is here (signed out, session ended, refused).
 * @param {string | null} [message]
 */
export function signInPage(message) {
  show("Sign in",
    message ? inset(message) : null,
    h("p", { class: "nhsuk-body" }, "NHS staff sign in with their NHS Care Identity (smartcard or its alternatives) to look up a child; local authority and service staff with their organisation's account."),
    ...config().providers.map((p) => button(p.label, () => signIn({ silent: false, provider: p.id }))));
}
