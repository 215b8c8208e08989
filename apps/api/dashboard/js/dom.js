/**
 * Element builders that use DOM APIs only: text goes in as textContent, attributes
 * through setAttribute. Nothing here parses HTML, so data from the API (dataset rows,
 * prompts, model output, names) can only ever be shown as text.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * h('a', { class: 'link', href: '#/', text: 'Jobs' }, ...children)
 *
 * Props: `class`, `text` (textContent), `hidden`, `on` ({ click: fn }), `data`
 * ({ job: '1/2/3' } → data-job), anything else is an attribute (null/false skip it).
 * Children: nodes, strings (as text), null/undefined (skipped), or arrays of these.
 */
export function h(tag, props = {}, ...children) {
  return build(document.createElement(tag), props, children);
}

/** The same for SVG elements (the chart). */
export function svg(tag, props = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

function build(element, props, children) {
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') element.textContent = String(value);
    else if (name === 'class') element.setAttribute('class', value);
    else if (name === 'hidden') element.hidden = Boolean(value);
    else if (name === 'on') {
      for (const [event, handler] of Object.entries(value))
        element.addEventListener(event, handler);
    } else if (name === 'data') {
      for (const [key, data] of Object.entries(value)) element.dataset[key] = String(data);
    } else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.append(child);
    else parent.append(document.createTextNode(String(child)));
  }
}

/** Sets an element's text only when it differs: an unchanged cell costs no DOM write. */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** Sets an attribute only when it differs (same reason). */
export function setAttr(element, name, value) {
  if (element.getAttribute(name) !== value) element.setAttribute(name, value);
}

/**
 * A table's head row from its column names; names starting with '#' or listed in
 * `numeric` are right-aligned like their numbers.
 */
export function tableHead(columns, numeric = []) {
  return h(
    'thead',
    {},
    h(
      'tr',
      {},
      columns.map((text) =>
        h('th', { scope: 'col', class: numeric.includes(text) ? 'num' : null, text }),
      ),
    ),
  );
}

/** Removes every child (replaceChildren() with nothing). */
export function clear(element) {
  element.replaceChildren();
}

/**
 * Names each cell of a row after its column (data-label), so a narrow screen can show
 * the table as one card per row with each value labelled (dashboard.css).
 */
export function labelCells(row, columns) {
  [...row.children].forEach((cell, index) => {
    const column = columns[index];
    if (column !== undefined && column !== '#') cell.dataset.label = column;
  });
  return row;
}

/** Shows a notice element with this text. */
export function showNotice(element, text) {
  element.hidden = false;
  setText(element, text);
}

/** "← All runs": the way back, above a view's title. */
export function backLink(href, text) {
  return h('nav', { class: 'crumbs' }, h('a', { href, text }));
}
