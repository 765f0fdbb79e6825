package io.moeoperator.server.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import io.moeoperator.server.model.ModelLoadException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns a conversation into prompt text with a Jinja template, as Hugging Face's
 * {@code apply_chat_template} does: the variables {@code messages}, {@code add_generation_prompt},
 * {@code bos_token}, {@code eos_token} and the function {@code raise_exception(message)}, with
 * trim_blocks and lstrip_blocks on. Rendered by Jinjava, which covers what model templates use
 * (namespace(), 'key' in dict, is none, str.split()[-1], loop.last).
 */
public final class ChatTemplate {
    /**
     * Used when the model carries no {@code tokenizer.chat_template}: DeepSeek-V2's plain-text
     * turn format ("User: ...", "Assistant: ..."), which needs no special tokens, so it tokenizes
     * with any vocabulary.
     */
    static final String FALLBACK = """
            {{ bos_token }}
            {%- for message in messages %}
            {%- if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}
            {%- elif message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\\n\\n' }}
            {%- elif message['role'] == 'assistant' %}{{ 'Assistant: ' + message['content'] + eos_token }}
            {%- else %}{{ raise_exception('unsupported message role: ' + message['role']) }}
            {%- endif %}
            {%- endfor %}
            {%- if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}""";

    private static final long MAX_OUTPUT_CHARS = 64L << 20;

    /**
     * Jinjava's defaults differ from Python's Jinja2 in ways chat templates notice: without these,
     * {@code {{- ...}}} does not strip whitespace, iterating a dict does not give its keys, and
     * lists print as {@code [a, b]} rather than {@code ['a', 'b']}. (Its "natural operator
     * precedence" is left off: it reads the ubiquitous {@code not x is defined} as
     * {@code (not x) is defined}.)
     */
    private static final LegacyOverrides PYTHON_JINJA = LegacyOverrides.newBuilder()
            .withUseTrimmingForNotesAndExpressions(true)
            .withParseWhitespaceControlStrictly(true)
            .withEvaluateMapKeys(true)
            .withIterateOverMapKeys(true)
            .withKeepNullableLoopValues(true)
            .withHandleBackslashInQuotesOnly(true)
            .withUsePyishObjectMapper(true)
            .build();

    private final Jinjava jinjava;
    private final String template;
    private final String source;
    private final String bosToken;
    private final String eosToken;

    private ChatTemplate(String template, String source, String bosToken, String eosToken) {
        this.template = template;
        this.source = source;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withLegacyOverrides(PYTHON_JINJA)
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .build());
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
    }

    /** A template from the model file or the operator, with the model's BOS and EOS text. */
    public static ChatTemplate of(String template, String source, BpeTokenizer tokenizer) {
        return of(template, source, tokenText(tokenizer, tokenizer.bosId()), tokenText(tokenizer, tokenizer.eosId()));
    }

    /**
     * The template must render a one-message conversation, so a broken template stops start-up
     * instead of failing every chat request.
     *
     * @throws ModelLoadException when it does not
     */
    public static ChatTemplate of(String template, String source, String bosToken, String eosToken) {
        ChatTemplate t = new ChatTemplate(template, source, bosToken, eosToken);
        try {
            t.render(List.of(Map.of("role", "user", "content", "Hello")), true);
        } catch (ChatTemplateException e) {
            throw new ModelLoadException(source + " chat template does not render a one-message conversation: "
                    + e.getMessage() + " (pass --chat-template FILE to use another)");
        }
        return t;
    }

    public static ChatTemplate fallback(BpeTokenizer tokenizer) {
        return of(FALLBACK, "the default (the model has none)", tokenizer);
    }

    /** Where the template came from, for logs. */
    public String source() {
        return source;
    }

    /**
     * The prompt text for a conversation. A leading BOS that the template writes is removed,
     * because the tokenizer adds the model's BOS itself (as llama.cpp does; otherwise it would
     * appear twice).
     *
     * @param messages each with at least "role" and "content" (a string)
     * @throws ChatTemplateException when the template rejects the conversation
     */
    public String prompt(List<Map<String, Object>> messages) {
        String text = render(messages, true);
        return !bosToken.isEmpty() && text.startsWith(bosToken) ? text.substring(bosToken.length()) : text;
    }

    String render(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        Map<String, Object> context = new HashMap<>();
        // Templates may rebind variables and call mutating methods: hand them copies.
        List<Map<String, Object>> copies = new ArrayList<>();
        for (Map<String, Object> m : messages) {
            copies.add(new HashMap<>(m));
        }
        context.put("messages", copies);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        RenderResult result = jinjava.renderForResult(template, context);
        List<TemplateError> fatal = result.getErrors().stream()
                .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
        if (!fatal.isEmpty()) {
            throw new ChatTemplateException(fatal.stream().map(ChatTemplate::describe).collect(Collectors.joining("; ")));
        }
        return result.getOutput();
    }

    /** Bound to the template function {@code raise_exception}. */
    public static String raiseException(String message) {
        throw new ChatTemplateException(message);
    }

    private static String describe(TemplateError e) {
        Throwable cause = e.getException();
        while (cause != null) {
            if (cause instanceof ChatTemplateException raised) {
                return raised.getMessage();
            }
            cause = cause.getCause();
        }
        return e.getMessage() + (e.getLineno() > 0 ? " (template line " + e.getLineno() + ")" : "");
    }

    private static String tokenText(BpeTokenizer tokenizer, int id) {
        return id >= 0 ? tokenizer.tokenText(id) : "";
    }
}
