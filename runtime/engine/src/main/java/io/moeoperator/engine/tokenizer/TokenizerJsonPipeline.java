package io.moeoperator.engine.tokenizer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pipeline sections of a tokenizer.json: normalizer, pre_tokenizer, post_processor and decoder,
 * to the extent byte-level BPE files (DeepSeek, Qwen, Llama 3 and their kin) use them. Everything
 * else is refused, naming the field and its value.
 *
 * @param addPrefixSpace the ByteLevel pre-tokenizer's add_prefix_space (to check against
 *                       tokenizer_config.json, which transformers lets override it)
 */
record TokenizerJsonPipeline(HfNormalizer normalizer, HfPreTokenizer preTokenizer, Template template,
                             Optional<Boolean> addPrefixSpace) {
    /**
     * What the post-processor adds when special tokens are asked for: one id before the text
     * (BOS) and one after it (EOS), -1 for none.
     */
    record Template(int bos, int eos) {
        static final Template NONE = new Template(-1, -1);
    }

    static TokenizerJsonPipeline parse(JsonFile f, Map<String, Object> root, int vocabSize) {
        List<Normalizer.Form> forms = new ArrayList<>();
        Object n = root.get("normalizer");
        if (n != null) {
            normalizer(f, n, "normalizer", forms);
        }
        Object pre = root.get("pre_tokenizer");
        if (pre == null) {
            throw f.fault("pre_tokenizer", "is missing: the engine supports byte-level BPE, whose pre_tokenizer"
                    + " ends in ByteLevel");
        }
        List<HfPreTokenizer.Step> steps = new ArrayList<>();
        preTokenizer(f, pre, "pre_tokenizer", steps);
        HfPreTokenizer.Step last = steps.isEmpty() ? null : steps.getLast();
        long numByteLevel = steps.stream().filter(s -> s instanceof HfPreTokenizer.ByteLevelSplit).count();
        if (!(last instanceof HfPreTokenizer.ByteLevelSplit bl) || numByteLevel != 1) {
            throw f.fault("pre_tokenizer", "must end in one ByteLevel and have no other (it has " + numByteLevel
                    + "): the engine supports byte-level BPE, whose other steps see the text itself");
        }
        decoder(f, root.get("decoder"), "decoder");
        Template template = Template.NONE;
        Object post = root.get("post_processor");
        if (post != null) {
            template = postProcessor(f, post, "post_processor", vocabSize);
        }
        return new TokenizerJsonPipeline(new HfNormalizer(forms), new HfPreTokenizer(steps), template,
                Optional.of(bl.addPrefixSpace()));
    }

    private static String type(JsonFile f, Map<String, Object> node, String path) {
        return f.requireString(node, "type", path + ".type");
    }

    private static void normalizer(JsonFile f, Object value, String path, List<Normalizer.Form> out) {
        Map<String, Object> n = f.object(value, path);
        String type = type(f, n, path);
        switch (type) {
            case "Sequence" -> {
                List<Object> list = f.requireArray(n, "normalizers", path + ".normalizers");
                for (int i = 0; i < list.size(); i++) {
                    normalizer(f, list.get(i), path + ".normalizers[" + i + "]", out);
                }
            }
            case "NFC" -> out.add(Normalizer.Form.NFC);
            case "NFD" -> out.add(Normalizer.Form.NFD);
            case "NFKC" -> out.add(Normalizer.Form.NFKC);
            case "NFKD" -> out.add(Normalizer.Form.NFKD);
            default -> throw f.unsupported(path + ".type", type, "NFC, NFD, NFKC, NFKD, Sequence of them, or null");
        }
    }

    private static void preTokenizer(JsonFile f, Object value, String path, List<HfPreTokenizer.Step> out) {
        Map<String, Object> p = f.object(value, path);
        String type = type(f, p, path);
        switch (type) {
            case "Sequence" -> {
                List<Object> list = f.requireArray(p, "pretokenizers", path + ".pretokenizers");
                for (int i = 0; i < list.size(); i++) {
                    preTokenizer(f, list.get(i), path + ".pretokenizers[" + i + "]", out);
                }
            }
            case "Split" -> out.add(split(f, p, path));
            case "Digits" -> out.add(new HfPreTokenizer.Digits(
                    f.bool(p, "individual_digits", path + ".individual_digits", false)));
            case "ByteLevel" -> {
                boolean useRegex = f.bool(p, "use_regex", path + ".use_regex", true);
                out.add(new HfPreTokenizer.ByteLevelSplit(
                        f.bool(p, "add_prefix_space", path + ".add_prefix_space", true),
                        useRegex ? OnigRegex.compile(HfPreTokenizer.ByteLevelSplit.GPT2_REGEX) : null));
            }
            default -> throw f.unsupported(path + ".type", type, "ByteLevel, Split, Digits, Sequence of them");
        }
    }

    private static HfPreTokenizer.Split split(JsonFile f, Map<String, Object> p, String path) {
        Map<String, Object> pattern = f.requireObject(p, "pattern", path + ".pattern");
        OnigRegex regex;
        if (pattern.size() == 1 && pattern.containsKey("Regex")) {
            String r = f.requireString(pattern, "Regex", path + ".pattern.Regex");
            try {
                regex = OnigRegex.compile(r);
            } catch (IllegalArgumentException e) {
                throw f.fault(path + ".pattern.Regex", "'" + r + "' " + e.getMessage());
            }
        } else if (pattern.size() == 1 && pattern.containsKey("String")) {
            regex = OnigRegex.literal(f.requireString(pattern, "String", path + ".pattern.String"));
        } else {
            throw f.fault(path + ".pattern", "must be {\"Regex\": ...} or {\"String\": ...}, not "
                    + JsonFile.describe(pattern));
        }
        String b = f.requireString(p, "behavior", path + ".behavior");
        HfPreTokenizer.Behavior behavior = HfPreTokenizer.Behavior.fromJson(b);
        if (behavior == null) {
            throw f.unsupported(path + ".behavior", b, "Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
        }
        return new HfPreTokenizer.Split(regex, behavior, f.bool(p, "invert", path + ".invert", false));
    }

    /** The decoder must be ByteLevel (alone or as the one element of a Sequence). */
    private static void decoder(JsonFile f, Object value, String path) {
        if (value == null) {
            throw f.fault(path, "is missing: byte-level BPE needs the ByteLevel decoder (without one, Hugging Face"
                    + " joins token texts with spaces)");
        }
        Map<String, Object> d = f.object(value, path);
        String type = type(f, d, path);
        if (type.equals("Sequence")) {
            List<Object> list = f.requireArray(d, "decoders", path + ".decoders");
            if (list.size() == 1) {
                decoder(f, list.get(0), path + ".decoders[0]");
                return;
            }
            throw f.fault(path + ".decoders", "has " + list.size() + " decoders (supported: one, ByteLevel)");
        }
        if (!type.equals("ByteLevel")) {
            throw f.unsupported(path + ".type", type, "ByteLevel");
        }
    }

    private static Template postProcessor(JsonFile f, Object value, String path, int vocabSize) {
        Map<String, Object> p = f.object(value, path);
        String type = type(f, p, path);
        switch (type) {
            case "ByteLevel" -> {
                return Template.NONE; // it only moves offsets
            }
            case "TemplateProcessing" -> {
                return template(f, p, path, vocabSize);
            }
            case "Sequence" -> {
                List<Object> list = f.requireArray(p, "processors", path + ".processors");
                Template found = Template.NONE;
                for (int i = 0; i < list.size(); i++) {
                    Template t = postProcessor(f, list.get(i), path + ".processors[" + i + "]", vocabSize);
                    if (t != Template.NONE) {
                        if (found != Template.NONE) {
                            throw f.fault(path + ".processors", "has more than one TemplateProcessing (supported: one)");
                        }
                        found = t;
                    }
                }
                return found;
            }
            default -> throw f.unsupported(path + ".type", type, "ByteLevel, TemplateProcessing, Sequence of them");
        }
    }

    /** TemplateProcessing's single template: at most one special token before $A and one after. */
    private static Template template(JsonFile f, Map<String, Object> p, String path, int vocabSize) {
        List<Object> single = f.requireArray(p, "single", path + ".single");
        Map<String, Object> specials = f.requireObject(p, "special_tokens", path + ".special_tokens");
        List<Integer> before = new ArrayList<>();
        List<Integer> after = new ArrayList<>();
        boolean seenText = false;
        for (int i = 0; i < single.size(); i++) {
            String at = path + ".single[" + i + "]";
            Map<String, Object> item = f.object(single.get(i), at);
            if (item.containsKey("Sequence")) {
                String id = f.requireString(f.requireObject(item, "Sequence", at + ".Sequence"), "id",
                        at + ".Sequence.id");
                if (!id.equals("A") || seenText) {
                    throw f.fault(at, "is sequence '" + id + "' (supported: the text, A, once)");
                }
                seenText = true;
            } else if (item.containsKey("SpecialToken")) {
                String name = f.requireString(f.requireObject(item, "SpecialToken", at + ".SpecialToken"), "id",
                        at + ".SpecialToken.id");
                String sp = path + ".special_tokens['" + name + "']";
                List<Object> ids = f.requireArray(f.requireObject(specials, name, sp), "ids", sp + ".ids");
                if (ids.size() != 1) {
                    throw f.fault(sp + ".ids", "has " + ids.size() + " ids (supported: one)");
                }
                int id = f.id(ids.get(0), sp + ".ids[0]");
                if (id >= vocabSize) {
                    throw f.fault(sp + ".ids[0]", "is " + id + ", outside the vocabulary of " + vocabSize + " tokens");
                }
                (seenText ? after : before).add(id);
            } else {
                throw f.fault(at, "must be {\"SpecialToken\": ...} or {\"Sequence\": ...}, not " + JsonFile.describe(item));
            }
        }
        if (!seenText || before.size() > 1 || after.size() > 1) {
            throw f.fault(path + ".single", "adds " + before.size() + " token(s) before the text and " + after.size()
                    + " after it (supported: the text with at most one before, BOS, and one after, EOS)");
        }
        return new Template(before.isEmpty() ? -1 : before.getFirst(), after.isEmpty() ? -1 : after.getFirst());
    }
}
