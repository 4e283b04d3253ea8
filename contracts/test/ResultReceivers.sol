// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

// Callback contracts for the tests of OrchestratorHub's callbacks (contracts/test and the Bridge tests):
// one that records what it receives, one that reverts, one that burns all the gas it is given.
// Compiled by build.mjs beside the hub; never deployed outside tests.

/// @notice Records every call: the caller, the task id and the callback data.
contract RecordingReceiver {
    struct Received {
        address hub;
        bytes32 taskId;
        bytes callbackData;
    }

    Received[] private _received;

    function receiveResult(bytes32 taskId, bytes calldata callbackData) external {
        _received.push(Received(msg.sender, taskId, callbackData));
    }

    function count() external view returns (uint256) {
        return _received.length;
    }

    function received(uint256 i) external view returns (address hub, bytes32 taskId, bytes memory callbackData) {
        Received storage r = _received[i];
        return (r.hub, r.taskId, r.callbackData);
    }
}

/// @notice Always reverts, with a reason.
contract RevertingReceiver {
    error Refused(bytes32 taskId);

    function receiveResult(bytes32 taskId, bytes calldata) external pure {
        revert Refused(taskId);
    }
}

/// @notice Loops until its gas runs out.
contract GasBurningReceiver {
    uint256 public counter;

    function receiveResult(bytes32, bytes calldata) external {
        while (true) {
            ++counter;
        }
    }
}
