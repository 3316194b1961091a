/**
 * Streams the elements of one array inside a large JSON document — the `structLogs` of a
 * debug_traceTransaction response — without holding the document in memory.
 *
 * The scanner walks the bytes once, tracking strings (with escapes) and nesting. When it
 * enters an array whose key is the wanted one (at any depth), each element of that array
 * is cut out as text and yielded (the caller parses it); everything else of the document
 * is kept, with the array left empty, and parsed at the end — for a JSON-RPC response that
 * is the envelope, the error if any, and the small fields beside the array (gas, failed,
 * returnValue). Memory is one element plus the envelope, whatever the array's length.
 *
 * Hand-written because streaming JSON parsers on npm build a value per token (slow for
 * millions of small objects) and we need only this cut; it is tested against JSON.parse.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COLON = 0x3a;

export interface ArrayStream {
  /** The array's elements, as JSON text, in order. */
  elements: AsyncIterable<string>;
  /** The rest of the document (the array emptied), parsed; settles after `elements` ends. */
  rest(): unknown;
}

/**
 * Splits `chunks` (a JSON document) into the elements of the first array under `key` and
 * the rest. Throws a SyntaxError naming the byte offset when the document is malformed.
 */
export function streamArray(chunks: AsyncIterable<Uint8Array>, key: string): ArrayStream {
  const keyText = JSON.stringify(key);
  let restText: string[] = [];
  let restValue: unknown;
  let done = false;

  async function* elements(): AsyncGenerator<string> {
    const dec = new TextDecoder();
    // Scanner state.
    let inString = false;
    let escaped = false;
    let depth = 0;
    /** Depth at which the wanted array's elements live, or -1 before/after it. */
    let arrayDepth = -1;
    let found = false;
    /** Start of the current element (in `pending`), -1 when not inside one. */
    let element: string[] = [];
    let inElement = false;
    let elementDepth = 0;
    /** Text of the last string seen (candidate key), tracked outside elements only. */
    let lastString = "";
    let stringStart = -1;
    /** The start of a string (outside elements) that began in an earlier chunk. */
    let carried = "";
    let afterKey = false;
    let offset = 0;
    for await (const chunk of chunks) {
      let segStart = 0; // start of the part of this chunk not yet copied to rest/element
      const text = dec.decode(chunk, { stream: true });
      const n = text.length;
      for (let i = 0; i < n; i++) {
        const c = text.charCodeAt(i);
        if (inString) {
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) {
            inString = false;
            if (!inElement && stringStart >= 0) {
              lastString = carried + text.slice(stringStart, i + 1);
              carried = "";
              stringStart = -1;
            }
          }
          continue;
        }
        if (c === QUOTE) {
          inString = true;
          if (!inElement) stringStart = i;
          continue;
        }
        if (c === COLON) {
          if (!inElement) afterKey = lastString === keyText;
          continue;
        }
        if (inElement) {
          if (c === OPEN_OBJ || c === OPEN_ARR) elementDepth++;
          else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
            if (elementDepth === 0) {
              // The array closed (after a scalar element or none).
              element.push(text.slice(segStart, i));
              const t = element.join("").trim();
              element = [];
              inElement = false;
              segStart = i;
              if (t !== "") yield t;
              arrayDepth = -1;
              depth--;
              continue;
            }
            elementDepth--;
          } else if (c === 0x2c && elementDepth === 0) {
            // ',' between elements
            element.push(text.slice(segStart, i));
            const t = element.join("").trim();
            element = [];
            segStart = i + 1;
            if (t === "") throw new SyntaxError(`empty element in "${key}" near byte ${offset + i}`);
            yield t;
          }
          continue;
        }
        if (c === OPEN_OBJ || c === OPEN_ARR) {
          depth++;
          if (c === OPEN_ARR && afterKey && !found) {
            found = true;
            arrayDepth = depth;
            restText.push(text.slice(segStart, i + 1));
            segStart = i + 1;
            inElement = true;
            elementDepth = 0;
          }
          afterKey = false;
        } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
          depth--;
          afterKey = false;
          if (depth < 0)
            throw new SyntaxError(`unbalanced "${String.fromCharCode(c)}" at byte ${offset + i}`);
        } else if (c > 0x20) {
          afterKey = false;
        }
      }
      if (inElement) element.push(text.slice(segStart));
      else restText.push(text.slice(segStart));
      if (!inElement && inString && stringStart >= 0) {
        // A string continues in the next chunk: carry its start (only short ones can be the key).
        carried =
          carried.length + n - stringStart <= keyText.length ? carried + text.slice(stringStart) : "\u0000";
        stringStart = 0;
      }
      offset += n;
      if (restText.length > 64) restText = [restText.join("")];
    }
    if (inElement || inString || depth !== 0) {
      throw new SyntaxError(`JSON document ends early (${offset} bytes read)`);
    }
    void arrayDepth;
    restValue = JSON.parse(restText.join(""));
    done = true;
  }

  return {
    elements: elements(),
    rest() {
      if (!done) throw new Error("streamArray: rest() read before the elements were all consumed");
      return restValue;
    },
  };
}
