"""A small built-in corpus in several scripts, to train the tiny test tokenizer on.

Built in, so the fixture never downloads anything; varied enough (Latin with accents, Cyrillic,
Greek, CJK, Hangul, Arabic, Devanagari, code, numbers, emoji) that the trained vocabulary has
merges inside multi-byte characters and the DeepSeek-V3 pre-tokenizer's every branch (digits,
CJK runs, punctuation, whitespace) is exercised. The prompts (prompts.py) are written in the same
scripts, so they tokenize into real merges rather than bare bytes.
"""

ENGLISH = """\
Once upon a time there was a small model that wanted to speak every language. It read stories
about foxes and dogs, about rivers and mountains, about the sky and the sea. Every morning it
asked the same question: why is the sky blue? The answer, it learned, is that air scatters blue
light more than red light, so the whole sky glows with it while the sun stays yellow.
The quick brown fox jumps over the lazy dog. The lazy dog does not mind; it sleeps in the sun.
A mixture of experts is a layer in which a router chooses, for every token, a few experts out of
many. Shared experts see every token; routed experts see only the tokens sent to them. The
router's scores are computed in full precision, and the chosen experts' outputs are weighted and
added to the residual stream. Attention compresses keys and values into a small latent vector,
which is what the cache keeps: far less memory than a key and a value for every head.
Questions and answers follow. Q: What is a token? A: A piece of text the model reads at once.
Q: What is a prompt? A: The text the model continues. Q: Why is greedy decoding deterministic?
A: Because it always takes the most likely next token, with no sampling at all.
In 1969, 3 astronauts flew 384400 km to the Moon and came back safely. The trip took 8 days,
3 hours and 18 minutes. Prices rose by 12.5% in 2024; 1,000,000 people paid $3.14 each.
"""

CODE = """\
def main():
    print("hello")
    for i in range(10):
        if i % 2 == 0:
            print(f"{i} is even")
    return 0

class Router:
    def __init__(self, num_experts, top_k):
        self.num_experts = num_experts
        self.top_k = top_k

    def route(self, scores):
        return sorted(range(self.num_experts), key=lambda e: -scores[e])[: self.top_k]

public static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
        if (logits[i] > logits[best]) best = i;
    }
    return best;
}

SELECT name, count(*) FROM requests GROUP BY name ORDER BY count(*) DESC;
UPDATE models SET status = 'ready' WHERE id = 42;
{"model": "tiny", "messages": [{"role": "user", "content": "Hi!"}], "max_tokens": 32}
  indented text\twith tabs, and a trailing space 
x = a + b * c - d / e; y = x ** 2 if x > 0 else -x
"""

EUROPEAN = """\
Café crème, Größe über alles, ¿Qué tal? Ça va très bien, merci. Der schnelle braune Fuchs
springt über den faulen Hund. El zorro marrón rápido salta sobre el perro perezoso. Le renard
brun rapide saute par-dessus le chien paresseux. Naïve façade, déjà vu, œuvre, smørrebrød, Ærø.
Mélange d'experts: chaque jeton choisit quelques experts. Jeder Token wählt einige Experten.
"""

RUSSIAN = """\
Модель отвечает быстро. Жили-были старик со старухой у самого синего моря. Каждый токен
выбирает несколько экспертов, а общие эксперты видят каждый токен. Почему небо голубое?
Потому что воздух рассеивает синий свет сильнее, чем красный. Привет, мир! Как дела?
"""

GREEK = """\
Ο διακομιστής απαντά γρήγορα. Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο.
Κάθε λέξη είναι ένα κομμάτι κειμένου. Καλημέρα, κόσμε!
"""

CHINESE = """\
你好，世界！模型由许多专家组成。每个词元只选择少数几个专家，而共享专家处理每一个词元。
从前有一座山，山里有一座庙，庙里有一个老和尚在给小和尚讲故事。天空为什么是蓝色的？
因为空气散射蓝光比红光更多。注意力把键和值压缩成一个很小的潜在向量，缓存只保存它。
今天天气很好，我们一起去公园散步吧。机器学习模型需要大量的数据和计算资源。
"""

JAPANESE = """\
日本語のテキストとカタカナ、ひらがな。むかしむかし、あるところにおじいさんとおばあさんが
住んでいました。モデルはすべてのトークンについて、いくつかのエキスパートを選びます。
空はなぜ青いのですか。東京は日本の首都です。今日はいい天気ですね。
"""

KOREAN = """\
한국어 텍스트도 있습니다. 안녕하세요, 세계! 모델은 각 토큰마다 몇 명의 전문가를 고릅니다.
하늘은 왜 파란가요? 공기가 파란 빛을 더 많이 흩뜨리기 때문입니다. 오늘 날씨가 좋네요.
"""

ARABIC = """\
مرحبا بالعالم. النموذج يختار لكل كلمة عددا قليلا من الخبراء. لماذا السماء زرقاء؟
لأن الهواء يشتت الضوء الأزرق أكثر من الأحمر. صباح الخير، كيف حالك اليوم؟
"""

HINDI = """\
नमस्ते दुनिया। मॉडल हर शब्द के लिए कुछ विशेषज्ञ चुनता है। आसमान नीला क्यों है?
क्योंकि हवा नीली रोशनी को लाल से अधिक बिखेरती है। आज मौसम अच्छा है।
"""

SYMBOLS = """\
Emoji 😀🎉👍🏽 family 👨\u200d👩\u200d👧 flags 🇩🇪🇯🇵 ✅ ready ★ ♥ → ← ∑∫√∞ ≠ ≤ ≥ ± ½ 5°C 12€ £7 ¥100
“Quotes” — dash – en dash… non-breaking\u00a0space, ideographic\u3000space. ١٢٣ ²³ ⅓ № §4
"""

TEXT = ENGLISH + CODE + EUROPEAN + RUSSIAN + GREEK + CHINESE + JAPANESE + KOREAN + ARABIC + HINDI + SYMBOLS
