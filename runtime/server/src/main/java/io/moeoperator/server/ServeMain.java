package io.moeoperator.server;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * {@code moe serve}: reads the command line into configuration, then runs the server until it is
 * stopped. Flags become system properties, which outrank environment variables and
 * application.properties, so a flag always wins and everything still arrives through the one
 * {@code @ConfigMapping}.
 */
@QuarkusMain
public final class ServeMain {
    private ServeMain() {}

    public static void main(String... args) {
        ServeArguments parsed;
        try {
            parsed = ServeArguments.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n\n" + ServeArguments.usage());
            System.exit(2);
            return;
        }
        if (parsed.help()) {
            System.out.print(ServeArguments.usage());
            return;
        }
        parsed.config().forEach(System::setProperty);
        Quarkus.run();
    }
}
