//! The hand-written index (src/xml/index.rs, src/xml/scan.rs) against quick-xml as an oracle:
//! every corpus file gives the same element spans, names and attributes; mutated corpus files
//! never panic, and whatever we accept quick-xml accepts with the same spans; malformed inputs
//! get a clear message with the right position.
//!
//! The mutation property runs 256 cases by default; for a longer run:
//! `PROPTEST_CASES=100000 cargo test --release --test index_oracle`.

mod common;

use proptest::prelude::*;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use std::ops::Range;
use virt_cpu::xml::{Document, LoadError};

const BOM: &str = "\u{feff}";

/// One attribute as a parser reports it.
#[derive(Debug, PartialEq, Eq)]
struct Attribute {
    name: Range<usize>,
    /// The raw value between the quotes.
    value: Range<usize>,
    quote: u8,
    /// References resolved, whitespace normalised (see [`normalise`]).
    resolved: String,
}

/// One element as a parser reports it, all offsets into the whole source.
#[derive(Debug, PartialEq, Eq)]
struct Element {
    open: Range<usize>,
    close: Option<Range<usize>>,
    qname: String,
    parent: Option<usize>,
    attrs: Vec<Attribute>,
}

/// Attribute-value normalisation as `Attr::value` does it (XML 1.0 §3.3.3 for literal tab,
/// CR and LF), applied to both sides so that the comparison is about references and spans.
fn normalise(value: &str) -> String {
    value.replace("\r\n", " ").replace(['\t', '\r', '\n'], " ")
}

/// Where `part` (a slice of `text`) starts in `text`.
fn offset_in(text: &str, part: &str) -> usize {
    (part.as_ptr() as usize)
        .checked_sub(text.as_ptr() as usize)
        .filter(|&o| o + part.len() <= text.len())
        .expect("quick-xml borrows names and values from the input")
}

/// The elements of `src` in document order as quick-xml reads them, or why it refuses.
/// quick-xml is given the text after a UTF-8 BOM (it skips one without counting it in its
/// positions), and its offsets are shifted back to offsets into `src`.
fn quick_xml_elements(src: &str) -> Result<Vec<Element>, String> {
    let base = if src.starts_with(BOM) { BOM.len() } else { 0 };
    let text = &src[base..];
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.trim_text(false);
    config.expand_empty_elements = false;
    config.check_end_names = true;
    config.check_comments = true;
    let mut elements: Vec<Element> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| format!("{e} (at byte {})", reader.error_position() as usize + base))?;
        let span = base + before..base + reader.buffer_position() as usize;
        match event {
            Event::Start(e) => {
                elements.push(quick_xml_element(text, base, &e, span, open.last())?);
                open.push(elements.len() - 1);
            }
            Event::Empty(e) => {
                elements.push(quick_xml_element(text, base, &e, span, open.last())?);
            }
            Event::End(_) => {
                let id = open.pop().ok_or("an end tag with no open element")?;
                elements[id].close = Some(span);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(&id) = open.last() {
        return Err(format!("<{}> is not closed at the end", elements[id].qname));
    }
    Ok(elements)
}

fn quick_xml_element(
    text: &str,
    base: usize,
    e: &BytesStart,
    open: Range<usize>,
    parent: Option<&usize>,
) -> Result<Element, String> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| format!("{e}"))?;
        let name = offset_in(text, a.key.as_ref());
        let value = offset_in(text, &a.value);
        let resolved = quick_xml::escape::unescape(&a.value).map_err(|e| format!("{e}"))?;
        attrs.push(Attribute {
            name: base + name..base + name + a.key.as_ref().len(),
            value: base + value..base + value + a.value.len(),
            quote: text.as_bytes()[value - 1],
            resolved: normalise(&resolved),
        });
    }
    Ok(Element {
        open,
        close: None,
        qname: e.name().as_ref().to_string(),
        parent: parent.copied(),
        attrs,
    })
}

/// The same view of our index, elements in document order (parents by that order too: ids
/// are slots with gaps).
fn our_elements(doc: &Document) -> Vec<Element> {
    let src = doc.source();
    let ids: Vec<usize> = doc.element_ids().collect();
    let order = |id: usize| ids.binary_search(&id).expect("a parent is an element");
    ids.iter()
        .map(|&id| {
            let e = doc.element(id);
            Element {
                open: e.open(),
                close: e.close(),
                qname: doc.qname(id).to_string(),
                parent: doc.parent(id).map(order),
                attrs: doc
                    .attrs(id)
                    .map(|a| Attribute {
                        name: a.name(),
                        value: a.value_span(),
                        quote: a.quote(),
                        resolved: normalise(&a.value(src)),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Compares our index of `doc` with quick-xml's reading of its source; says where they first
/// differ.
fn compare(doc: &Document) -> Result<(), String> {
    let theirs = quick_xml_elements(doc.source())
        .map_err(|e| format!("we accept, quick-xml refuses: {e}"))?;
    let ours = our_elements(doc);
    for (id, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        if o != t {
            return Err(format!(
                "element {id} differs:\n  ours:      {o:?}\n  quick-xml: {t:?}"
            ));
        }
    }
    if ours.len() != theirs.len() {
        return Err(format!(
            "we index {} elements, quick-xml reads {}",
            ours.len(),
            theirs.len()
        ));
    }
    if doc.element_ids().next() != Some(doc.root()) {
        return Err(format!("the root is element {}, not the first", doc.root()));
    }
    Ok(())
}

#[test]
fn every_corpus_file_matches_quick_xml() {
    let files = common::corpus_files();
    let mut failures = Vec::new();
    let mut elements = 0;
    for (path, bytes) in files.iter().zip(common::corpus_bytes()) {
        let name = path.file_name().unwrap().to_string_lossy();
        let doc = match Document::parse(bytes) {
            Ok(doc) => doc,
            Err(e) => {
                failures.push(format!("{name}: we refuse: {e}"));
                continue;
            }
        };
        assert_eq!(doc.source().as_bytes(), bytes.as_slice(), "{name}");
        elements += doc.element_count();
        if let Err(e) = compare(&doc) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus files differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    assert!(elements > 10 * files.len(), "only {elements} elements");
}

/// A BOM is kept in the source and offsets count it.
#[test]
fn a_bom_is_accounted_for() {
    let src = format!("{BOM}<?xml version='1.0'?>\n<domain a='&amp;'>\n  <cpu/>\n</domain>\n");
    let doc = Document::parse(src.as_bytes()).unwrap();
    assert_eq!(doc.element(doc.root()).open(), 25..43);
    let cpu = doc.children(doc.root()).next().unwrap();
    assert_eq!(&doc.source()[doc.element(cpu).open()], "<cpu/>");
    compare(&doc).unwrap();
}

/// Pieces of markup a mutation inserts: single XML-significant characters and short strings
/// that start, end or break constructs.
const PIECES: &[&str] = &[
    "<",
    ">",
    "/",
    "'",
    "\"",
    "=",
    "&",
    ";",
    "!",
    "-",
    "?",
    "[",
    "]",
    ":",
    " ",
    "\n",
    "\t",
    "\r",
    "a",
    "Z",
    "1",
    ".",
    "é",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#x41;",
    "&#10;",
    "&bogus;",
    "]]>",
    "<!--",
    "-->",
    "--",
    "<?xml ",
    "?>",
    "<?pi x?>",
    "<![CDATA[",
    "<!DOCTYPE domain>",
    "xmlns:q='u'",
    " xmlns:q='u'",
    " xmlns=''",
    " q:a='1'",
    "<q:x/>",
    "</",
    "/>",
    "<a>",
    "</a>",
    "<a/>",
    " a='1'",
    " a=\"&quot;\"",
    BOM,
];

#[derive(Debug, Clone)]
enum Mutation {
    Insert {
        at: prop::sample::Index,
        piece: &'static str,
    },
    Delete {
        at: prop::sample::Index,
        len: usize,
    },
    Replace {
        at: prop::sample::Index,
        len: usize,
        piece: &'static str,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let piece = prop::sample::select(PIECES);
    prop_oneof![
        (any::<prop::sample::Index>(), piece.clone())
            .prop_map(|(at, piece)| Mutation::Insert { at, piece }),
        (any::<prop::sample::Index>(), 1usize..4)
            .prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<prop::sample::Index>(), 1usize..4, piece)
            .prop_map(|(at, len, piece)| Mutation::Replace { at, len, piece }),
    ]
}

fn mutate(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    match m {
        Mutation::Insert { at, piece } => {
            let at = at.index(bytes.len() + 1);
            bytes.splice(at..at, piece.bytes());
        }
        Mutation::Delete { at, len } => {
            let at = at.index(bytes.len() + 1);
            bytes.drain(at..(at + len).min(bytes.len()));
        }
        Mutation::Replace { at, len, piece } => {
            let at = at.index(bytes.len() + 1);
            bytes.splice(at..(at + len).min(bytes.len()), piece.bytes());
        }
    }
    bytes
}

/// A refusal's message: not empty, and naming the line and column when there is a position
/// (which must be inside the input).
fn check_message(bytes: &[u8], e: &LoadError) -> Result<(), String> {
    let message = e.to_string();
    if message.trim().is_empty() {
        return Err(format!("empty message for {e:?}"));
    }
    if let Some(p) = e.position() {
        let at = format!("{}:{}", p.line, p.column);
        if !message.contains(&at) {
            return Err(format!("{message:?} does not say {at}"));
        }
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
        if p.line == 0 || p.line > lines || p.column == 0 {
            return Err(format!("{at} is outside the input ({lines} lines)"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::proptest_cases(256), failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever we accept, quick-xml accepts with the same spans; quick-xml may accept more
    /// (we are stricter: names, `]]>` in text, references, duplicate attributes, XML
    /// declarations, prefixes, DOCTYPE internal subsets, text outside the root).
    #[test]
    fn mutated_corpus_files_agree_with_quick_xml(
        index in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let bytes = muts.iter().fold(index.get(common::corpus_bytes()).clone(), mutate);
        match Document::parse(&bytes) {
            Ok(doc) => {
                prop_assert_eq!(doc.source().as_bytes(), bytes.as_slice());
                if let Err(e) = compare(&doc) {
                    return Err(TestCaseError::fail(e));
                }
            }
            Err(e) => {
                if let Err(m) = check_message(&bytes, &e) {
                    return Err(TestCaseError::fail(m));
                }
            }
        }
    }
}

/// What a malformed document must be told: the kind of error (its `Debug` variant name), a
/// part of the message, and where.
struct Malformed {
    input: &'static [u8],
    kind: &'static str,
    says: &'static str,
    at: Option<(usize, usize)>,
}

const fn bad(
    input: &'static [u8],
    kind: &'static str,
    says: &'static str,
    at: Option<(usize, usize)>,
) -> Malformed {
    Malformed {
        input,
        kind,
        says,
        at,
    }
}

const MALFORMED: &[Malformed] = &[
    bad(
        b"<domain>\n  <cpu>\n",
        "Syntax",
        "the file ends before </cpu> (is it truncated?)",
        Some((3, 1)),
    ),
    bad(
        b"<domain",
        "Attribute",
        "the file ends inside a start tag",
        Some((1, 8)),
    ),
    bad(
        b"<domain>\n  <cpu>\n</domain>",
        "Syntax",
        "found </domain> where </cpu> (opened at 2:3) must end",
        Some((3, 1)),
    ),
    bad(
        b"<domain/></cpu>",
        "Syntax",
        "</cpu> closes an element that is not open",
        Some((1, 10)),
    ),
    bad(
        b"<domain></domain",
        "Syntax",
        "expected `>` to end </domain",
        Some((1, 17)),
    ),
    bad(
        b"<domain>< cpu/></domain>",
        "Syntax",
        "expected an element name, found ` `",
        Some((1, 10)),
    ),
    bad(
        b"<domain><1cpu/></domain>",
        "Syntax",
        "`1cpu` cannot start with `1`",
        Some((1, 10)),
    ),
    bad(
        b"<domain><cpu mode/></domain>",
        "Attribute",
        "attribute `mode` has no value",
        Some((1, 14)),
    ),
    bad(
        b"<domain><cpu mode=custom/></domain>",
        "Attribute",
        "the value of attribute `mode` is not quoted",
        Some((1, 19)),
    ),
    bad(
        b"<domain><cpu mode='custom",
        "Attribute",
        "the value of attribute `mode` is not closed",
        Some((1, 19)),
    ),
    bad(
        b"<domain><cpu mode='a<b'/></domain>",
        "Attribute",
        "the value of attribute `mode` runs into a `<` at 1:21",
        Some((1, 19)),
    ),
    bad(
        b"<domain><cpu mode='custom/></domain>",
        "Attribute",
        "is its closing quote missing?",
        Some((1, 19)),
    ),
    bad(
        b"<domain><description>Tom & Jerry; x</description></domain>",
        "Syntax",
        "write `&amp;` for a literal `&`",
        Some((1, 26)),
    ),
    bad(
        b"<domain x='1'='2'/>",
        "Attribute",
        "expected an attribute name, found `=`",
        Some((1, 14)),
    ),
    bad(
        "\u{feff}<domain><1/></domain>".as_bytes(),
        "Syntax",
        "cannot start with `1`",
        Some((1, 10)),
    ),
    bad(
        b"<!DOCTYPE d SYSTEM '><d/><!--'>-->",
        "Syntax",
        "text outside the root element",
        Some((1, 32)),
    ),
    bad(
        b"<!doctype domain><domain/>",
        "Syntax",
        "write `<!DOCTYPE` in capitals",
        Some((1, 1)),
    ),
    bad(
        b"<domain>\n  <cpu mode='a'\n       mode='b'/>\n</domain>",
        "Attribute",
        "attribute `mode` is given twice",
        Some((3, 8)),
    ),
    bad(
        b"<domain><cpu mode='a'check='b'/></domain>",
        "Attribute",
        "attributes must be separated by whitespace",
        Some((1, 22)),
    ),
    bad(
        b"<domain><cpu/ ></domain>",
        "Attribute",
        "expected `>` after `/` in a start tag",
        Some((1, 13)),
    ),
    bad(
        b"<domain>&foo;</domain>",
        "Syntax",
        "unknown or invalid reference `&foo;`",
        Some((1, 9)),
    ),
    bad(
        b"<domain><cpu mode='&foo;'/></domain>",
        "Attribute",
        "unknown or invalid reference `&foo;`",
        Some((1, 20)),
    ),
    bad(
        "<domain name='été'>\n  <name>ü</name>&bad;</domain>".as_bytes(),
        "Syntax",
        "unknown or invalid reference `&bad;`",
        Some((2, 17)),
    ),
    bad(
        b"<domain>&#0;</domain>",
        "Syntax",
        "unknown or invalid reference `&#0;`",
        Some((1, 9)),
    ),
    bad(
        b"<domain>&#xD800;</domain>",
        "Syntax",
        "unknown or invalid reference `&#xD800;`",
        Some((1, 9)),
    ),
    bad(
        b"<domain>a & b</domain>",
        "Syntax",
        "write `&amp;` for a literal `&`",
        Some((1, 11)),
    ),
    bad(
        b"<domain>&amp</domain>",
        "Syntax",
        "write `&amp;` for a literal `&`",
        Some((1, 9)),
    ),
    bad(
        b"<domain>a]]>b</domain>",
        "Syntax",
        "`]]>` is not allowed in text",
        Some((1, 10)),
    ),
    bad(
        b"<domain><!-- a -- b --></domain>",
        "Syntax",
        "`--` is not allowed inside a comment",
        Some((1, 16)),
    ),
    bad(
        b"<domain><!-- a </domain>",
        "Syntax",
        "a comment is not closed",
        Some((1, 9)),
    ),
    bad(
        b"<domain><![CDATA[ a </domain>",
        "Syntax",
        "a CDATA section is not closed",
        Some((1, 9)),
    ),
    bad(
        b"<domain><!foo></domain>",
        "Syntax",
        "unknown markup `<!`",
        Some((1, 9)),
    ),
    bad(
        b"<![CDATA[x]]><domain/>",
        "Syntax",
        "content outside the root element",
        Some((1, 1)),
    ),
    bad(
        b"hello<domain/>",
        "Syntax",
        "text outside the root element",
        Some((1, 1)),
    ),
    bad(
        b"<domain/>\nhello",
        "Syntax",
        "text outside the root element",
        Some((2, 1)),
    ),
    bad(
        b"<domain/>\n<domain/>",
        "Syntax",
        "a second root element",
        Some((2, 1)),
    ),
    bad(
        b"\n<?xml version='1.0'?><domain/>",
        "Syntax",
        "an XML declaration (`<?xml …?>`) is only allowed at the very start of the file",
        Some((2, 1)),
    ),
    bad(
        b"<domain><?xml version='1.0'?></domain>",
        "Syntax",
        "an XML declaration (`<?xml …?>`) is only allowed at the very start of the file",
        Some((1, 9)),
    ),
    bad(
        b"<?xml version='1.0'?>\n<!DOCTYPE domain [\n<!ENTITY a 'b'>\n]>\n<domain>&a;</domain>",
        "Doctype",
        "a DOCTYPE with an internal subset",
        Some((2, 1)),
    ),
    bad(
        b"<domain><qemu:cpu/></domain>",
        "UndeclaredPrefix",
        "the prefix `qemu:` is not declared",
        Some((1, 9)),
    ),
    bad(
        b"<domain>\n  <cpu q:x='1'/>\n</domain>",
        "UndeclaredPrefix",
        "the prefix `q:` is not declared",
        Some((2, 8)),
    ),
    bad(b"", "Empty", "the file is empty", None),
    bad(b" \n\t\n", "Empty", "the file is empty", None),
    bad(
        b"<?xml version='1.0'?>\n<!-- x -->\n",
        "NoRoot",
        "no root element",
        None,
    ),
    bad(
        b"<domain>\0</domain>",
        "Binary",
        "a NUL byte at byte 8",
        None,
    ),
    bad(
        b"<domain>\n<name>caf\xe9</name>",
        "NotUtf8",
        "not valid UTF-8",
        Some((2, 10)),
    ),
];

#[test]
fn malformed_inputs_get_clear_messages() {
    let mut failures = Vec::new();
    for case in MALFORMED {
        let input = String::from_utf8_lossy(case.input);
        let e = match Document::parse(case.input) {
            Ok(_) => {
                failures.push(format!("{input:?}: accepted"));
                continue;
            }
            Err(e) => e,
        };
        let message = e.to_string();
        let kind = format!("{e:?}");
        let at = e.position().map(|p| (p.line, p.column));
        if !kind.starts_with(case.kind)
            || !message.contains(case.says)
            || at != case.at
            || check_message(case.input, &e).is_err()
        {
            failures.push(format!(
                "{input:?}:\n  expected {} {:?} at {:?}\n  got      {message:?} at {at:?} ({kind})",
                case.kind, case.says, case.at
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Small documents that exercise every kind of markup the scanner skips or measures.
const EDGE_CASES: &[&str] = &[
    // Quoted literals of a DOCTYPE may hold `>` and `[`.
    "<!DOCTYPE domain SYSTEM 'a[b>.dtd'><domain/>",
    // A character reference to a line feed in a value stays a line feed.
    "<domain a='x&#10;y\ty'/>",
    "<domain/>",
    "<domain />",
    "<domain\n/>",
    "<domain></domain >",
    "<domain></domain\r\n\t>",
    "<domain a = '1'\n\tb=\"2\"\r\n/>",
    "<domain a='x>y' b=\"it's\" c='say \"hi\"' d=''/>",
    "<domain a='&lt;&gt;&amp;&apos;&quot;&#65;&#x42;&#x10FFFF;'/>",
    "<domain a='x\r\ny\tz\nw'/>",
    "<domain>a > b ]] ]> &amp; &#x1F600; &lt;</domain>",
    "<domain><![CDATA[<a> ]] ]> &amp <!-- ]]]></domain>",
    "<domain><!-- <a> ' \" & - --><!----></domain>",
    "<domain><?pi <a> ? > ?><?xml-stylesheet href='x'?></domain>",
    "<?xml version='1.0' encoding='UTF-8'?>\r\n<!-- c -->\r\n<domain>\r\n  <a/>\r\n</domain>\r\n",
    "<!DOCTYPE domain SYSTEM \"domain.dtd\">\n<domain/>",
    "<domain/><!-- after --><?pi after?>\n\n",
    "<été ñ='ü'><日本 語='値'/></été>",
    "<domain xmlns='urn:d' xmlns:q='urn:q'><q:a q:b='1' xml:lang='en'/><b xmlns=''/></domain>",
    "<domain xmlns:q='urn:q'><q:a xmlns:q='urn:r'><q:b/></q:a></domain>",
    "<a.b-c_d:e xmlns:a.b-c_d='u'><_x/><x1.-/></a.b-c_d:e>",
    "<domain>\n  <cpu mode='custom'>\n    <model fallback='allow'>Skylake</model>\n    <feature policy='require' name='vmx'/>\n  </cpu>\n</domain>\n",
];

#[test]
fn edge_cases_match_quick_xml() {
    for src in EDGE_CASES {
        let doc = Document::parse(src.as_bytes()).unwrap_or_else(|e| panic!("{src:?}: {e}"));
        compare(&doc).unwrap_or_else(|e| panic!("{src:?}: {e}"));
    }
}
