namespace ClaMP3.ML.Preprocessing.Midi;

/// <summary>Parses MTF text as <c>batch_mtf2midi.py</c> does: <c>splitlines()</c>; <c>ticks_per_beat</c> from the
/// second space-separated token of line 0; every later line that contains <c>unknown_meta</c> anywhere is skipped;
/// the others go through <c>str_to_msg</c>, which fills a fresh mido message's attributes positionally.</summary>
internal static class MtfParser
{
    public static (long TicksPerBeat, List<MidoMessage> Track) Parse(string mtf)
    {
        var lines = PythonText.SplitLines(mtf);
        if (lines.Count == 0) throw new MidoException("IndexError", "list index out of range", "the MTF text is empty");
        string[] head = lines[0].Split(' ');
        if (head.Length < 2) throw new MidoException("IndexError", "list index out of range", "line 1 has no ticks_per_beat value");
        if (!PythonText.TryParseInt(head[1], out long ticksPerBeat))
            throw MidoException.Value($"invalid literal for int() with base 10: {PythonStrings.Repr(head[1])}", "line 1");

        var track = new List<MidoMessage>(lines.Count);
        for (int i = 1; i < lines.Count; i++)
        {
            if (lines[i].Contains("unknown_meta", StringComparison.Ordinal)) continue;
            try
            {
                track.Add(ParseLine(lines[i]));
            }
            catch (MidoException e) when (e.Detail is null)
            {
                throw e.WithDetail($"line {i + 1}: {Shorten(lines[i])}");
            }
        }
        return (ticksPerBeat, track);
    }

    private static string Shorten(string line) => line.Length <= 80 ? PythonStrings.Repr(line) : PythonStrings.Repr(line[..77] + "...");

    /// <summary>One positional value as <c>str_to_msg</c> collects it: a raw token or a parsed list/tuple of ints.</summary>
    private readonly record struct Token(string? Text, MidoValue? Sequence);

    /// <summary><c>str_to_msg</c>.</summary>
    internal static MidoMessage ParseLine(string line)
    {
        int space = line.IndexOf(' ');
        string type = space < 0 ? line : line[..space];
        var spec = MidoSpecs.MessageByName(type);
        var meta = spec is null ? MidoSpecs.MetaByName(type) : null;
        if (spec is null && meta is null)
            throw new MidoException("KeyError", PythonStrings.Repr(type), $"{PythonStrings.Repr(type)} is neither a mido message nor a meta message type");

        List<Token> values;
        if (meta is { IsTextLike: true })
        {
            string[] tokens = line.Split(' ');
            string text;
            try
            {
                text = PythonText.DecodeUnicodeEscape(tokens.Length > 2 ? string.Join(' ', tokens[1..^1]) : "");
            }
            catch (FormatException e)
            {
                throw new MidoException("UnicodeDecodeError", e.Message);
            }
            values = [new(type, null), new(text, null), new(tokens[^1], null)];
        }
        else if (line.Contains('[') || line.Contains('('))
        {
            bool isBracket = line.Contains('[');
            int left = line.IndexOf(isBracket ? '[' : '(');
            int right = line.IndexOf(isBracket ? ']' : ')');
            if (right < 0) throw MidoException.Value("substring not found", $"no closing {(isBracket ? ']' : ')')}");
            string inner = right > left ? line[(left + 1)..right] : "";
            string[] parts = inner.Split(", ");
            var items = new int[parts.Length];
            for (int k = 0; k < parts.Length; k++)
            {
                if (!PythonText.TryParseInt(parts[k], out long item))
                    throw MidoException.Value($"invalid literal for int() with base 10: {PythonStrings.Repr(parts[k])}");
                items[k] = (int)Math.Clamp(item, int.MinValue, int.MaxValue);
            }
            values = [];
            foreach (var t in line[..left].Split(' ')) if (t.Length > 0) values.Add(new(t, null));
            values.Add(new(null, isBracket ? MidoValue.FromList(items) : MidoValue.FromTuple(items)));
            foreach (var t in line[(right + 1)..].Split(' ')) if (t.Length > 0) values.Add(new(t, null));
        }
        else
        {
            string[] parts = line.Split(' ');
            values = new List<Token>(parts.Length);
            foreach (var t in parts) values.Add(new Token(t, null));
        }

        return spec is not null ? BuildMessage(spec, values) : BuildMeta(meta!, values);
    }

    private static MidoMessage BuildMessage(MessageSpec spec, List<Token> values)
    {
        // Message(type): vars order is type, time, then the value names; defaults 0 (velocity 64), data ().
        var attrs = new MidoValue[spec.ValueNames.Length];
        for (int k = 0; k < attrs.Length; k++)
            attrs[k] = spec.ValueNames[k] switch
            {
                "velocity" => MidoValue.FromInt(64),
                "data" => MidoValue.EmptyTuple,
                _ => MidoValue.FromInt(0),
            };
        MidoValue time = MidoValue.FromInt(0);
        if (values.Count != 1)
        {
            for (int idx = 1; idx <= attrs.Length + 1; idx++)
            {
                string name = idx == 1 ? "time" : spec.ValueNames[idx - 2];
                bool numericDefault = name != "data";
                var value = Assign(values, idx, numericDefault);
                MidoSpecs.CheckMessageValue(name, value);
                if (idx == 1) time = value;
                else attrs[idx - 2] = name == "data" ? NormaliseSequence(value) : value;
            }
        }
        return WithTime(new MidoMessage(spec, attrs, 0), time);
    }

    private static MidoMessage BuildMeta(MetaSpec spec, List<Token> values)
    {
        // MetaMessage(type): vars order is type, the spec's attributes, time.
        var attrs = (MidoValue[])spec.Defaults.Clone();
        MidoValue time = MidoValue.FromInt(0);
        if (values.Count != 1)
        {
            for (int idx = 1; idx <= attrs.Length + 1; idx++)
            {
                bool isTime = idx == attrs.Length + 1;
                string name = isTime ? "time" : spec.Attributes[idx - 1];
                bool numericDefault = isTime || spec.Defaults[idx - 1].IsNumber;
                var value = Assign(values, idx, numericDefault);
                MidoSpecs.CheckMetaValue(spec, name, value);
                if (isTime) time = value;
                else attrs[idx - 1] = value;
            }
        }
        return WithTime(new MidoMessage(spec, attrs, 0), time);
    }

    /// <summary><c>value = values[idx]</c>, then, where the attribute's default is a number,
    /// <c>float(value)</c> and <c>int()</c> when whole.</summary>
    private static MidoValue Assign(List<Token> values, int idx, bool numericDefault)
    {
        if (idx >= values.Count) throw new MidoException("IndexError", "list index out of range", $"the line has {values.Count - 1} values, needs more");
        var token = values[idx];
        if (!numericDefault) return token.Sequence ?? MidoValue.FromStr(token.Text!);
        if (token.Sequence is { } seq)
            throw MidoException.Type($"float() argument must be a string or a real number, not '{seq.PythonTypeName}'");
        if (PythonText.TryParsePlainInt(token.Text!, out long plain)) return MidoValue.FromInt(plain);
        if (!PythonText.TryParseFloat(token.Text!, out double f))
            throw MidoException.Value($"could not convert string to float: {PythonStrings.Repr(token.Text!)}");
        if (double.IsFinite(f) && Math.Floor(f) == f)
            return Math.Abs(f) < 9.2e18 ? MidoValue.FromInt((long)f) : MidoValue.FromBig(new System.Numerics.BigInteger(f));
        return MidoValue.FromFloat(f);
    }

    /// <summary>Sysex data keeps its items whatever sequence held them (an empty str counts as empty).</summary>
    private static MidoValue NormaliseSequence(MidoValue v) =>
        v.Kind is MidoValueKind.List or MidoValueKind.Tuple ? MidoValue.FromTuple(v.Items!) : MidoValue.EmptyTuple;

    private static MidoMessage WithTime(MidoMessage msg, MidoValue time)
    {
        if (time.Kind == MidoValueKind.Float) { msg.TimeIsFloat = true; return msg; }
        if (time.Kind == MidoValueKind.BigInt)
            throw new MidoException("OverflowError", $"time {time} does not fit in 63 bits (not supported by this port)");
        msg.Time = time.Int;
        return msg;
    }
}
