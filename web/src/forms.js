// @ts-check
// NHS.UK form components (text input, radios with a conditional reveal, date input) and their
// errors: NHS.UK's error summary at the top, the message at the field, `aria-invalid` on what
// is wrong. Each group carries `data-field`, the API's name for it, so a refusal that names a
// field (a JSON pointer) is shown at that field.

import { readDate } from "./dates.js";
import { enhance, h } from "./dom.js";

/** @typedef {import("./dates.js").DatePart} DatePart */
/** @typedef {{ field: string | null, message: string, parts?: DatePart[] }} FieldError */

/**
 * A text input with its label and hint.
 * @param {string} id the input's id and, unless `field` says otherwise, the API's field name
 * @param {string} label
 * @param {{ value?: string, hint?: string, field?: string, width?: number, inputmode?: string, autocomplete?: string, type?: string }} [opts]
 */
export function textField(id, label, opts = {}) {
  const hintId = opts.hint ? `${id}-hint` : null;
  return h("div", { class: "nhsuk-form-group", "data-field": opts.field || id },
    h("label", { class: "nhsuk-label", for: id }, label),
    hintId ? h("div", { class: "nhsuk-hint", id: hintId }, opts.hint) : null,
    h("input", {
      class: `nhsuk-input${opts.width ? ` nhsuk-input--width-${opts.width}` : ""}`, id, name: id, type: opts.type || "text",
      value: opts.value || "", "aria-describedby": hintId, inputmode: opts.inputmode, autocomplete: opts.autocomplete,
      spellcheck: opts.inputmode === "numeric" ? "false" : null,
    }));
}

/**
 * NHS.UK radios; an option may reveal more questions when chosen, in NHS.UK's conditional
 * markup, right after the option. The reveal is ours: NHS.UK frontend 10.6.1's (set off by
 * `aria-controls` or `data-aria-controls` on the radio) puts `aria-expanded` on the radio, which
 * ARIA does not allow there (axe: aria-allowed-attr).
 * @param {string} name
 * @param {string} legend
 * @param {[string, string][]} options value and label
 * @param {Record<string, Node>} [conditional] what each value reveals
 * @param {string} [hint] shown under the legend, and describing the group
 */
export function radios(name, legend, options, conditional = {}, hint = undefined) {
  const hintId = hint ? `${name}-hint` : null;
  const group = h("div", { class: "nhsuk-form-group", "data-field": name },
    h("fieldset", { class: "nhsuk-fieldset", "aria-describedby": hintId },
      h("legend", { class: "nhsuk-fieldset__legend nhsuk-fieldset__legend--s" }, legend),
      hintId ? h("div", { class: "nhsuk-hint", id: hintId }, hint) : null,
      h("div", { class: "nhsuk-radios", "data-module": "nhsuk-radios" }, options.map(([value, label]) => [
        h("div", { class: "nhsuk-radios__item" },
          h("input", { class: "nhsuk-radios__input", id: `${name}-${value}`, name, type: "radio", value }),
          h("label", { class: "nhsuk-label nhsuk-radios__label", for: `${name}-${value}` }, label)),
        conditional[value]
          ? h("div", { class: "nhsuk-radios__conditional nhsuk-radios__conditional--hidden", id: `conditional-${name}-${value}` }, conditional[value])
          : null,
      ]))));
  group.addEventListener("change", () => {
    for (const [value, content] of Object.entries(conditional)) {
      const chosen = /** @type {HTMLInputElement} */ (group.querySelector(`#${name}-${value}`)).checked;
      content.parentElement?.classList.toggle("nhsuk-radios__conditional--hidden", !chosen);
    }
  });
  return group;
}

/**
 * One NHS.UK checkbox with its label and a hint of its own (NHS.UK's item hint).
 * @param {string} id the input's id and the API's field name
 * @param {string} label
 * @param {string} hint
 */
export function checkbox(id, label, hint) {
  return h("div", { class: "nhsuk-form-group", "data-field": id },
    h("div", { class: "nhsuk-checkboxes", "data-module": "nhsuk-checkboxes" },
      h("div", { class: "nhsuk-checkboxes__item" },
        h("input", { class: "nhsuk-checkboxes__input", id, name: id, type: "checkbox", value: "yes", "aria-describedby": `${id}-item-hint` }),
        h("label", { class: "nhsuk-label nhsuk-checkboxes__label", for: id }, label),
        h("div", { class: "nhsuk-hint nhsuk-checkboxes__hint", id: `${id}-item-hint` }, hint))));
}

/**
 * NHS.UK date input: day, month and year as three fields in one group.
 * @param {string} id the group's id; its fields are `<id>-day`, `<id>-month`, `<id>-year`
 * @param {string} legend
 * @param {string} hint
 */
export function dateInput(id, legend, hint) {
  /** @param {DatePart} part @param {number} width */
  const item = (part, width) => h("div", { class: "nhsuk-date-input__item" },
    h("div", { class: "nhsuk-form-group" },
      h("label", { class: "nhsuk-label nhsuk-date-input__label", for: `${id}-${part}` }, part[0].toUpperCase() + part.slice(1)),
      h("input", { class: `nhsuk-input nhsuk-date-input__input nhsuk-input--width-${width}`, id: `${id}-${part}`, name: `${id}[${part}]`, type: "text", inputmode: "numeric" })));
  return h("div", { class: "nhsuk-form-group", "data-field": id },
    h("fieldset", { class: "nhsuk-fieldset", role: "group", "aria-describedby": `${id}-hint` },
      h("legend", { class: "nhsuk-fieldset__legend nhsuk-fieldset__legend--s" }, legend),
      h("div", { class: "nhsuk-hint", id: `${id}-hint` }, hint),
      h("div", { class: "nhsuk-date-input", id }, item("day", 2), item("month", 2), item("year", 4))));
}

/**
 * The date typed into a date input.
 * @param {ParentNode} form
 * @param {string} id
 * @param {string} label how the message names it ("Start date")
 */
export function dateValue(form, id, label) {
  /** @param {DatePart} part */
  const v = (part) => /** @type {HTMLInputElement | null} */ (form.querySelector(`#${id}-${part}`))?.value || "";
  return readDate(label, { day: v("day"), month: v("month"), year: v("year") });
}

/**
 * Removes every error shown on `form`, and the summary.
 * @param {ParentNode} form
 * @param {Element} summary
 */
export function clearErrors(form, summary) {
  summary.replaceChildren();
  form.querySelectorAll(".nhsuk-form-group--error").forEach((g) => g.classList.remove("nhsuk-form-group--error"));
  form.querySelectorAll(".nhsuk-input--error").forEach((i) => i.classList.remove("nhsuk-input--error"));
  form.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
  form.querySelectorAll(".nhsuk-error-message").forEach((m) => {
    for (const d of form.querySelectorAll(`[aria-describedby~="${m.id}"]`)) {
      const rest = (d.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== m.id);
      if (rest.length) d.setAttribute("aria-describedby", rest.join(" "));
      else d.removeAttribute("aria-describedby");
    }
    m.remove();
  });
}

/**
 * Marks one field's group and returns the id the summary should link to. The message's id is
 * `<field>-error` for a group of inputs, `<input id>-error` for a single input.
 * @param {Element} group
 * @param {FieldError & { field: string }} e
 */
function markField(group, e) {
  group.classList.add("nhsuk-form-group--error");
  const fieldset = group.querySelector("fieldset");
  const input = group.querySelector("input, select, textarea");
  const name = fieldset || !input ? e.field : input.id;
  const message = h("span", { class: "nhsuk-error-message", id: `${name}-error` },
    h("span", { class: "nhsuk-u-visually-hidden" }, "Error: "), e.message);
  const describe = (/** @type {Element} */ el) =>
    el.setAttribute("aria-describedby", [el.getAttribute("aria-describedby"), message.id].filter(Boolean).join(" "));
  if (fieldset) {
    // After the legend and hint, before the inputs (NHS.UK's order). Only the group's own
    // inputs: a question revealed inside it is a field of its own.
    fieldset.querySelector(":scope > .nhsuk-date-input, :scope > .nhsuk-radios")?.before(message);
    describe(fieldset);
    const dateParts = fieldset.querySelectorAll(":scope > .nhsuk-date-input .nhsuk-date-input__input");
    if (dateParts.length > 0) {
      const atFault = [...dateParts].filter((i) => !e.parts || e.parts.some((p) => i.id.endsWith(`-${p}`)));
      for (const i of atFault) {
        i.classList.add("nhsuk-input--error");
        i.setAttribute("aria-invalid", "true");
        i.closest(".nhsuk-form-group")?.classList.add("nhsuk-form-group--error");
      }
      return atFault[0]?.id || dateParts[0].id;
    }
    return input?.id || name;
  }
  if (input) {
    input.before(message);
    input.classList.add("nhsuk-input--error");
    input.setAttribute("aria-invalid", "true");
    describe(input);
    return input.id;
  }
  group.append(message);
  return name;
}

/**
 * Shows errors: each at its field (found by `data-field`), all in NHS.UK's error summary,
 * which takes the focus and whose links move to the field at fault.
 * @param {ParentNode} form
 * @param {Element} summary where the summary goes
 * @param {FieldError[]} errors
 */
export function showErrors(form, summary, errors) {
  clearErrors(form, summary);
  const items = errors.map((e) => {
    const field = e.field;
    const group = field ? form.querySelector(`[data-field="${field}"]`) : null;
    if (!group || !field) return h("li", {}, e.message);
    const target = markField(group, { ...e, field });
    return h("li", {}, h("a", { href: `#${target}` }, e.message));
  });
  summary.replaceChildren(h("div", { class: "nhsuk-error-summary", "data-module": "nhsuk-error-summary" },
    h("div", { role: "alert" },
      h("h2", { class: "nhsuk-error-summary__heading" }, "There is a problem"),
      h("div", { class: "nhsuk-error-summary__body" }, h("ul", { class: "nhsuk-list nhsuk-error-summary__list" }, items)))));
  enhance(summary);
}
