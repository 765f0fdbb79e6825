package io.moeoperator.engine.tokenizer;

/**
 * The built-in training text for the synthetic demo vocabulary: prose about running a model server,
 * followed by some code and configuration, so that common English words, spaces, indentation,
 * punctuation and digits all get merges; and a few sentences in other scripts (Latin with accents,
 * Cyrillic, Greek, CJK, Hangul, Arabic, Devanagari, emoji), so that larger vocabularies also learn
 * merges inside multi-byte UTF-8 characters. Written for this project.
 */
final class DefaultCorpus {
    static final String TEXT = """
            The operator watches the cluster and keeps the model servers running. When a user asks for a \
            new deployment, the operator reads the spec, decides how many replicas are needed, and \
            creates the pods. Each pod loads the model weights from the shared volume, warms up its \
            cache, and then reports that it is ready. The router sends each request to the replica \
            with the most free memory, so that long prompts do not wait behind short ones.

            A mixture of experts model has many small feed forward networks, called experts, in each \
            layer. For every token, a router picks the best two or three experts and only those are \
            computed. This is why a model with a very large number of parameters can still answer \
            quickly: most of the weights are not touched for any given token. The experts can live on \
            different machines, and the engine sends the hidden state to the machine that holds the \
            chosen expert, then waits for the answer to come back.

            The tokenizer turns text into numbers. It first splits the text into words, then it \
            splits each word into bytes, and then it merges the most common pairs of bytes again and \
            again until no known pair is left. The result is a list of token ids that the model can \
            read. To turn the model's output back into text, the engine looks up the bytes of each \
            token and joins them. A single letter with an accent may take two tokens, so the engine \
            waits until the whole character has arrived before it shows it to the user.

            Good tests make the system easy to change. A small model with a fixed seed gives the same \
            answer every time, so a test can check the exact tokens that come out. When the numbers \
            change, the test fails, and the engineer looks at the diff to see whether the change was \
            meant to happen. Slow tests run at night; fast tests run on every commit.

            Here is the plan for today. First, we read the logs from the last night. Then we fix the \
            two failing tests, one in the scheduler and one in the cache. After lunch, we review the \
            new metrics, write the notes for the release, and update the dashboard. If there is time \
            left, we will try the new kernel on the large machine and compare the numbers with the \
            old one. The team meets at 10:30 and again at 16:00.

            Questions that users often ask: How many tokens per second can one replica serve? What \
            happens when a pod is restarted in the middle of a request? Can I run two models on the \
            same node? Why is the first request slower than the next ones? The answers are in the \
            guide, but the short version is: about 40 tokens per second for a small model, the request \
            is retried on another replica, yes if there is enough memory, and the first request has to \
            fill the cache.

            public final class Scheduler {
                private final RequestQueue queue;
                private final int maxTokensPerStep;

                public Scheduler(RequestQueue queue, int maxTokensPerStep) {
                    this.queue = queue;
                    this.maxTokensPerStep = maxTokensPerStep;
                }

                /** Picks the requests to run in the next step. */
                public SchedulerOutput schedule() {
                    List<Request> running = new ArrayList<>();
                    int budget = maxTokensPerStep;
                    for (Request r : queue.waiting()) {
                        int need = r.numPromptTokens() + 1;
                        if (need > budget) {
                            break;
                        }
                        running.add(r);
                        budget -= need;
                    }
                    return new SchedulerOutput(running, budget);
                }
            }

            def softmax(values):
                largest = max(values)
                exps = [math.exp(v - largest) for v in values]
                total = sum(exps)
                return [e / total for e in exps]

            def top_k(logits, k):
                order = sorted(range(len(logits)), key=lambda i: logits[i], reverse=True)
                return order[:k]

            for (int i = 0; i < n; i++) {
            \tsum += a[i] * b[i];
            }
            if (x != null && x.size() > 0) {
            \treturn x.get(0);
            }

            apiVersion: moe.example.io/v1alpha1
            kind: MoEDeployment
            metadata:
              name: demo-model
            spec:
              model: demo-moe-2x
              replicas: 3
              experts:
                perLayer: 8
                active: 2
              resources:
                memory: 16Gi
                cpu: "4"

            $ curl -s http://localhost:8080/v1/completions -d '{"prompt": "Hello, world!", "max_tokens": 16}'
            {"id": "cmpl-42", "choices": [{"text": " How are you today?", "index": 0}], "usage": {"total": 21}}

            Numbers and dates: 1, 2, 3, 10, 42, 100, 256, 1024, 2048, 65536, 3.14, 0.5, -1, 2024-05-17, \
            12:45:00, 99%, $20, #7, a+b=c, x*y, (a|b), [1, 2], <tag>, ~home, `code`, @user, ^caret, \
            back\\slash, under_score, and "quoted text" with 'single quotes'.

            On a quiet morning the harbor smells of salt and diesel. Fishing boats come back with \
            their nets folded, gulls circle over the market, and a baker on the corner sells bread \
            that is still warm. Children walk to school along the sea wall, counting the ships at \
            anchor. By noon the wind turns, clouds gather over the hills, and the first drops of rain \
            darken the stones of the old square. Nobody seems to mind; the cafes simply pull their \
            chairs under the awnings and keep serving coffee.

            Memory is the budget that shapes every decision in an inference server. The weights take \
            a fixed share, the key and value cache grows with every token of every running request, \
            and whatever is left decides how many requests can share the machine. When memory runs \
            short, the scheduler pauses the newest request, frees its cache blocks, and resumes it \
            later. Blocks that hold the same prompt prefix are shared between requests and counted, \
            so a popular system prompt is stored only once.

            class BlockPool:
                def __init__(self, num_blocks):
                    self.free = list(range(num_blocks))
                    self.ref_count = [0] * num_blocks

                def allocate(self):
                    if not self.free:
                        raise MemoryError("no free blocks")
                    block = self.free.pop()
                    self.ref_count[block] = 1
                    return block

                def release(self, block):
                    self.ref_count[block] -= 1
                    if self.ref_count[block] == 0:
                        self.free.append(block)

            Le serveur charge le modèle au démarrage, puis il répond aux requêtes. Les experts sont \
            répartis entre plusieurs machines, et chaque jeton ne passe que par deux ou trois d'entre eux.
            Der Operator überwacht den Cluster und startet die Server neu, wenn ein Knoten ausfällt. Große \
            Modelle brauchen viel Speicher; kleine Modelle laufen schon auf einem Laptop.
            ¿Cuántas fichas por segundo puede servir una réplica? Depende del tamaño del modelo y de la \
            memoria disponible.
            Модель состоит из многих экспертов, и для каждого токена маршрутизатор выбирает только \
            лучших. Поэтому большая модель отвечает быстро.
            Ο διακομιστής απαντά σε κάθε αίτημα με ένα κείμενο.
            模型由许多专家组成，每个词元只经过其中两三个专家。服务器在启动时加载权重，然后开始回答请求。
            トークナイザーは文章を数字の列に変換します。日本語の文字は三バイトで表されることが多いです。
            서버는 요청을 받으면 먼저 프롬프트를 토큰으로 나눕니다.
            يقوم الخادم بتحميل النموذج عند البدء ثم يجيب على الطلبات.
            सर्वर हर अनुरोध का उत्तर देता है।
            Status: ✅ ready, 🚀 fast, 🧠 experts, 😀 happy users 👍🏽

            The end of a document is marked by a special token, and so is the end of each turn in a \
            chat. The model learns to produce that token when it has said enough, and the engine stops \
            as soon as it sees it. That is all there is to it.
            """;

    private DefaultCorpus() {}
}
