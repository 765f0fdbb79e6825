package io.moeoperator.server.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.server.model.ModelLoadException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    static final String BOS = "<｜begin▁of▁sentence｜>";
    static final String EOS = "<｜end▁of▁sentence｜>";

    /**
     * Written for this test in the style of DeepSeek's templates: namespace(), 'key' in dict,
     * is none, split()[-1], whitespace control, raise_exception.
     */
    static final String DEEPSEEK_STYLE = """
            {% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}
            {% set ns = namespace(system='', first=true) %}
            {%- for m in messages %}{% if m['role'] == 'system' %}{% set ns.system = ns.system + m['content'] %}{% endif %}{% endfor %}
            {{- bos_token }}{{ ns.system }}
            {%- for m in messages %}
              {%- if m['role'] == 'user' %}{{ '<｜User｜>' + m['content'] }}
              {%- elif m['role'] == 'assistant' and 'tool_calls' not in m %}
                {%- set content = m['content'] %}
                {%- if content is none %}{% set content = '' %}{% endif %}
                {%- if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}
                {{- '<｜Assistant｜>' + content + eos_token }}
              {%- elif m['role'] != 'system' %}{{ raise_exception('role ' + m['role'] + ' is not supported') }}
              {%- endif %}
            {%- endfor %}
            {%- if add_generation_prompt %}{{ '<｜Assistant｜>' }}{% endif %}""";

    static Map<String, Object> msg(String role, String content) {
        return Map.of("role", role, "content", content);
    }

    @Test
    void rendersDeepSeekStyleTemplatesAndDropsTheLeadingBos() {
        ChatTemplate t = ChatTemplate.of(DEEPSEEK_STYLE, "test", BOS, EOS);
        String prompt = t.prompt(List.of(msg("system", "Be brief."), msg("user", "Hi"),
                msg("assistant", "<think>hmm</think>Hello!"), msg("user", "Again")));
        assertEquals("Be brief.<｜User｜>Hi<｜Assistant｜>Hello!" + EOS + "<｜User｜>Again<｜Assistant｜>", prompt);
    }

    @Test
    void raiseExceptionRejectsTheConversationWithItsMessage() {
        ChatTemplate t = ChatTemplate.of(DEEPSEEK_STYLE, "test", BOS, EOS);
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.prompt(List.of(msg("tool", "42"))));
        assertEquals("role tool is not supported", e.getMessage());
    }

    @Test
    void fallbackIsPlainTextTurns() {
        ChatTemplate t = ChatTemplate.of(ChatTemplate.FALLBACK, "default", BOS, EOS);
        assertEquals("You are terse.\n\nUser: Hi\n\nAssistant: Hello" + EOS + "User: How are you?\n\nAssistant:",
                t.prompt(List.of(msg("system", "You are terse."), msg("user", "Hi"), msg("assistant", "Hello"),
                        msg("user", "How are you?"))));
    }

    @Test
    void aTemplateThatCannotRenderStopsStartUp() {
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> ChatTemplate.of("{% for m in messages %}{{ m['content'] }}", "the model's", BOS, EOS));
        assertTrue(e.getMessage().startsWith("the model's chat template does not render"), e.getMessage());
        assertTrue(e.getMessage().contains("--chat-template"), e.getMessage());
    }
}
