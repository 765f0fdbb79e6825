"""The fixed prompts every oracle model is run on: several scripts, code, numbers, and one chat.

Plain prompts are tokenized with BOS first, as DeepSeek's tokenizer_config.json asks
(add_bos_token: true). The chat prompt is the chat template's own rendering, which already starts
with the BOS text, so it is tokenized without adding another (and its special tokens are parsed).
"""

PLAIN = [
    "Once upon a time",
    "你好，世界！模型由许多专家组成。",
    "def main():\n    print(\"hello\")",
    "Привет, мир! Почему небо голубое?",
    "In 1969, 3 astronauts flew 384400 km to the Moon!",
    "日本語のテキストとカタカナ、ひらがな。",
    "Café crème, Größe über alles — مرحبا بالعالم",
]
# Rendered with the chat template (add_generation_prompt) into the eighth prompt.
CHAT = [{"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Why is the sky blue? 하늘은 왜 파란가요?"}]
