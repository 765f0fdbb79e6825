package io.moeoperator.engine.ep;

/** The in-process transport against the transport contract. */
class InProcessExpertTransportTest extends ExpertTransportContract {

    @Override
    protected Group newGroup(ExpertCompute[] computes) {
        InProcessExpertGroup group = new InProcessExpertGroup(computes.length);
        for (int r = 0; r < computes.length; r++) {
            group.transport(r).start(computes[r]);
        }
        return new Group() {
            @Override
            public ExpertTransport transport(int rank) {
                return group.transport(rank);
            }

            @Override
            public void kill(int rank) {
                group.setState(rank, InProcessExpertGroup.State.DOWN);
            }

            @Override
            public void restart(int rank, ExpertCompute compute) {
                group.setState(rank, InProcessExpertGroup.State.UP); // same compute: one JVM, one model
            }

            @Override
            public void close() {
                group.close();
            }
        };
    }
}
