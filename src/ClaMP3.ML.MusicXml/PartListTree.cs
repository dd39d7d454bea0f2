namespace ClaMP3.ML.MusicXml;

/// <summary>A score part's name and abbreviation (a Python tuple in xml2abc).</summary>
internal sealed record PartName(string Name, string Abbreviation);

/// <summary>The part-list as a tree and the <c>%%score</c> line built from it (xml2abc's <c>getPartlist</c>,
/// <c>parseParts</c>, <c>bracePart</c>, <c>prgroupelem</c>, <c>prgrouplist</c>). A group is a
/// <c>List&lt;object&gt;</c> of <see cref="PartName"/>s and nested groups whose last item is its group data
/// (<c>string[4]</c>: symbol, barline, name, abbreviation).</summary>
internal static class PartListTree
{
    private const string NoneKey = "\0None"; // Python's None as a dictionary key

    /// <summary>Repairs the part-list of buggy exporters: inserts missing group stops, drops double starts/stops.</summary>
    public static List<XmlElementNode> Repair(XmlElementNode? ps)
    {
        if (ps == null) throw Py.TypeError("'NoneType' object is not iterable");
        var xs = new List<XmlElementNode>();
        var open = new List<string?>();
        foreach (var x in ps.Children)
        {
            if (x.Tag == "part-group")
            {
                string? num = x.Get("number"), type = x.Get("type");
                if (type == "start")
                {
                    if (open.Contains(num)) // missing stop: insert one
                    {
                        xs.Add(new XmlElementNode("part-group", ("number", num), ("type", "stop")));
                        xs.Add(x);
                    }
                    else
                    {
                        xs.Add(x);
                        open.Add(num);
                    }
                }
                else if (open.Contains(num)) // a normal stop; a double stop is skipped
                {
                    open.Remove(num);
                    xs.Add(x);
                }
            }
            else xs.Add(x);
        }
        for (int i = open.Count - 1; i >= 0; i--) // missing stops at the end
            xs.Add(new XmlElementNode("part-group", ("number", open[i]), ("type", "stop")));
        return xs;
    }

    /// <summary>Parses one level of the repaired part-list; consumes <paramref name="xs"/> from the front.</summary>
    public static (List<object> Elems, List<XmlElementNode> Remaining) Parse(List<XmlElementNode> xs, Dictionary<string, string[]> d, List<string?> e)
    {
        if (xs.Count == 0) return (new List<object>(), xs);
        var x = xs[0];
        xs.RemoveAt(0);
        if (x.Tag == "part-group")
        {
            string? num = x.Get("number"), type = x.Get("type");
            if (type == "start") // one level deeper
            {
                d[num ?? NoneKey] = new[] { "group-symbol", "group-barline", "group-name", "group-abbreviation" }
                    .Select(n => x.FindText(n, "")!).ToArray();
                e.Add(num);
                var (elemsNext, rest1) = Parse(xs, d, e);
                var (elems, rest2) = Parse(rest1, d, e);
                var res = new List<object> { elemsNext };
                res.AddRange(elems);
                return (res, rest2);
            }
            else // stop: close the level and return its group data
            {
                if (e.Count == 0) throw Py.IndexError("pop from empty list");
                var nums = e[^1];
                e.RemoveAt(e.Count - 1);
                if (xs.Count > 0 && xs[0].Get("type") == "stop" && num != nums)
                {
                    // two consecutive stops in the wrong order: exchange their data (the script's stopgap)
                    var a = Lookup(d, nums);
                    var b = Lookup(d, num);
                    d[nums ?? NoneKey] = b;
                    d[num ?? NoneKey] = a;
                }
                return (new List<object> { Lookup(d, num) }, xs);
            }
        }
        else
        {
            var (elems, rest) = Parse(xs, d, e);
            var res = new List<object> { new PartName(x.FindText("part-name", "")!, x.FindText("part-abbreviation", "")!) };
            res.AddRange(elems);
            return (res, rest);
        }
    }

    private static string[] Lookup(Dictionary<string, string[]> d, string? num) =>
        d.TryGetValue(num ?? NoneKey, out var v) ? v : throw Py.KeyError(num);

    /// <summary>Braces the staves of a multi-staff part and groups the voices of a staff.</summary>
    public static List<string> BracePart(List<List<int>> part)
    {
        if (part.Count == 0) return new();
        var brace = new List<string>();
        foreach (var ivs in part)
        {
            if (ivs.Count == 1) brace.Add(Py.D(ivs[0]));
            else
            {
                brace.Add("(");
                brace.AddRange(ivs.Select(iv => Py.D(iv)));
                brace.Add(")");
            }
            brace.Add("|");
        }
        brace.RemoveAt(brace.Count - 1); // no barline at the end
        if (part.Count > 1)
        {
            brace.Insert(0, "{");
            brace.Add("}");
        }
        return brace;
    }

    private static List<List<int>> PopFront(List<List<List<int>>> pmap)
    {
        if (pmap.Count == 0) throw Py.IndexError("pop from empty list");
        var y = pmap[0];
        pmap.RemoveAt(0);
        return y;
    }

    /// <summary>Collects part names (accVce) and the %%score map (accStf) for one element of the part-list.</summary>
    public static void PrintGroupElement(object x, (string Name, string Abbreviation) gnm, bool bar,
        List<List<List<int>>> pmap, List<(string, string)> accVce, List<string> accStf)
    {
        if (x is PartName pn)
        {
            var y = PopFront(pmap);
            var names = (pn.Name, pn.Abbreviation);
            if (gnm.Name.Length > 0) names = (gnm.Name + ":" + pn.Name, gnm.Abbreviation + ":" + pn.Abbreviation);
            accVce.Add(names);
            accStf.AddRange(BracePart(y));
        }
        else if (x is List<object> { Count: 2 } g && g[0] is PartName p0)
        {
            // a group misused to add an extra name to a staff
            var y = PopFront(pmap);
            if (g[1] is not string[] gd) throw Py.TypeError("can only concatenate str (not \"list\") to str");
            var groupNames = Py.Slice(gd, 2, null);
            var nms = new List<string>();
            var partNames = new[] { p0.Name, p0.Abbreviation };
            for (int i = 0; i < Math.Min(2, groupNames.Count); i++) nms.Add(partNames[i] + ":" + groupNames[i]);
            if (nms.Count != 2) throw Py.ValueError("not enough values to unpack");
            accVce.Add((nms[0], nms[1]));
            accStf.AddRange(BracePart(y));
        }
        else PrintGroupList(x, bar, pmap, accVce, accStf);
    }

    private static void PrintGroupList(object x0, bool pbar, List<List<List<int>>> pmap, List<(string, string)> accVce, List<string> accStf)
    {
        if (x0 is not List<object> x || x.Count == 0 || x[^1] is not string[] { Length: 4 } data)
            throw Py.ValueError("malformed part-group");
        var (sym, barText, gnm, gabbr) = (data[0], data[1], data[2], data[3]);
        bool bar = barText == "yes" || pbar;
        accStf.Add(sym == "brace" ? "{" : "[");
        foreach (var z in x.Take(x.Count - 1))
        {
            PrintGroupElement(z, (gnm, gabbr), bar, pmap, accVce, accStf);
            if (bar) accStf.Add("|");
        }
        if (bar) accStf.RemoveAt(accStf.Count - 1);
        accStf.Add(sym == "brace" ? "}" : "]");
    }
}
