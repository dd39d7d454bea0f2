using System.Text;
using System.Xml;

namespace ClaMP3.ML.MusicXml;

/// <summary>A minimal element tree with Python ElementTree's semantics, which the port relies on:
/// <c>text</c> is the character data before the first child (comments skipped, null when there is none),
/// <c>find</c>/<c>findall</c> take child paths such as <c>notations/tuplet</c>, <c>findtext</c> gives "" for an
/// element without text, and an element is "true" only when it has children.</summary>
internal sealed class XmlElementNode
{
    public string Tag { get; }
    public string? Text { get; internal set; }
    public Dictionary<string, string> Attributes { get; } = new();
    public List<XmlElementNode> Children { get; } = new();

    public XmlElementNode(string tag) => Tag = tag;

    public XmlElementNode(string tag, params (string Name, string? Value)[] attributes) : this(tag)
    {
        foreach (var (n, v) in attributes) if (v != null) Attributes[n] = v;
    }

    /// <summary>Python's <c>bool(element)</c>: true when it has sub-elements.</summary>
    public bool HasChildren => Children.Count > 0;

    public string? Get(string name, string? dflt = null) => Attributes.TryGetValue(name, out var v) ? v : dflt;

    public IEnumerable<XmlElementNode> Iterate(string path)
    {
        IEnumerable<XmlElementNode> current = new[] { this };
        foreach (var step in path.Split('/'))
        {
            var tag = step;
            current = current.SelectMany(e => e.Children.Where(c => c.Tag == tag));
        }
        return current;
    }

    public XmlElementNode? Find(string path) => Iterate(path).FirstOrDefault();

    public List<XmlElementNode> FindAll(string path) => Iterate(path).ToList();

    public string? FindText(string path, string? dflt = null)
    {
        var e = Find(path);
        return e == null ? dflt : e.Text ?? "";
    }

    /// <summary>Reads an XML document as expat + ElementTree would (external DTDs are not fetched; internal entity
    /// declarations are honoured).</summary>
    public static XmlElementNode Parse(TextReader? text, Stream? stream)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Parse,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = false,
            MaxCharactersFromEntities = 10_000_000,
        };
        using var reader = stream != null ? XmlReader.Create(stream, settings) : XmlReader.Create(text!, settings);
        XmlElementNode? root = null;
        var stack = new Stack<XmlElementNode>();
        var pendingText = new StringBuilder();
        bool pending = false;

        void FlushText()
        {
            if (!pending) return;
            var top = stack.Peek();
            if (top.Children.Count == 0) top.Text = (top.Text ?? "") + pendingText.ToString();
            pendingText.Clear();
            pending = false;
        }

        while (reader.Read())
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                {
                    if (stack.Count > 0) FlushText();
                    var node = new XmlElementNode(QualifiedName(reader.NamespaceURI, reader.LocalName));
                    if (reader.HasAttributes)
                    {
                        while (reader.MoveToNextAttribute())
                        {
                            if (reader.NamespaceURI == "http://www.w3.org/2000/xmlns/") continue;
                            node.Attributes[QualifiedName(reader.NamespaceURI, reader.LocalName)] = reader.Value;
                        }
                        reader.MoveToElement();
                    }
                    if (stack.Count > 0) stack.Peek().Children.Add(node); else root = node;
                    if (!reader.IsEmptyElement) stack.Push(node);
                    break;
                }
                case XmlNodeType.EndElement:
                    FlushText();
                    stack.Pop();
                    break;
                case XmlNodeType.Text:
                case XmlNodeType.CDATA:
                case XmlNodeType.Whitespace:
                case XmlNodeType.SignificantWhitespace:
                    if (stack.Count > 0)
                    {
                        // Text after a child element is that child's tail, which the port never reads.
                        if (stack.Peek().Children.Count == 0) { pendingText.Append(reader.Value); pending = true; }
                    }
                    break;
            }
        }
        return root ?? throw new XmlException("no element found");
    }

    private static string QualifiedName(string ns, string local) => ns.Length == 0 ? local : "{" + ns + "}" + local;
}
